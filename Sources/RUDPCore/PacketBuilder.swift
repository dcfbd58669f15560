import RUDPWire

/// Encoded sizes of the frames a DATA packet is planned with, taken once from the codec's own
/// `encodedSize` (so they cannot drift from what RUDPWire writes), never written as numbers here.
enum FrameSize {
    /// PING: the type byte.
    static let ping = Frame.ping.encodedSize
    /// MAX_DATA: type and a 62-bit value.
    static let maxData = Frame.maxData(0).encodedSize
    /// ACK_FLOOR: type and a 62-bit value.
    static let ackFloor = Frame.ackFloor(0).encodedSize
    /// PATH_CHALLENGE and PATH_RESPONSE: type and 8 data bytes.
    static let pathChallenge = Frame.pathChallenge(0).encodedSize
    static let pathResponse = Frame.pathResponse(0).encodedSize
    /// MESSAGE without its payload.
    static let messageOverhead = MessageFrame.overhead
    /// ACK with no range: type, cumulative point, delay, range count.
    static let ackWithoutRanges = AckFrame(cumulative: 0).encodedSize
    /// What the first range adds (largest acknowledged and its length).
    static let ackFirstRange = AckFrame(cumulative: 0, ranges: [AckRange(1, 1)]).encodedSize - ackWithoutRanges
    /// What every further range adds (gap and length).
    static let ackFurtherRange =
        AckFrame(cumulative: 0, ranges: [AckRange(3, 3), AckRange(1, 1)]).encodedSize
        - AckFrame(cumulative: 0, ranges: [AckRange(1, 1)]).encodedSize

    /// An ACK frame with `ranges` ranges.
    @inline(__always)
    static func ack(ranges: Int) -> Int {
        ranges == 0 ? ackWithoutRanges : ackWithoutRanges + ackFirstRange + (ranges - 1) * ackFurtherRange
    }

    /// Room kept free in every packet built to carry MESSAGE frames for the control frames in
    /// front of them: an ACK with one range, MAX_DATA and ACK_FLOOR (`Specs/PROTOCOL.md` 13.3).
    static let controlReserve = ack(ranges: 1) + maxData + ackFloor
}

/// Writes one DATA packet, frame by frame, straight into caller memory: the header first, then
/// each frame at the position its planned size says, then the trailer. No array per frame or per
/// packet; a MESSAGE frame's payload is copied once, from the message into the datagram.
///
/// ``size`` counts the bytes planned so far *including* the trailer (header + frames + trailer),
/// which is how the connection compares it with the maximum datagram size.
struct PacketBuilder {
    private let base: UnsafeMutableRawPointer
    private let capacity: Int
    let trailerSize: Int
    /// Header, frames written so far and the trailer to come.
    private(set) var size: Int
    /// Where the next frame goes.
    @inline(__always) private var offset: Int { size - trailerSize }

    /// Starts a DATA packet in `buffer` (at least the connection's maximum datagram size).
    init(buffer: UnsafeMutableRawBufferPointer, trailerSize: Int, flags: PacketFlags, destination: ConnectionID, packetNumber: UInt64) {
        base = buffer.baseAddress!
        capacity = buffer.count
        self.trailerSize = trailerSize
        size = Packet.headerSize + trailerSize
        precondition(capacity >= size, "datagram buffer too small")
        base.storeBytes(of: Packet.version, toByteOffset: 0, as: UInt8.self)
        base.storeBytes(of: PacketType.data.rawValue, toByteOffset: 1, as: UInt8.self)
        base.storeBytes(of: flags.rawValue, toByteOffset: 2, as: UInt8.self)
        base.storeBytes(of: destination.rawValue.bigEndian, toByteOffset: 3, as: UInt64.self)
        base.storeBytes(of: packetNumber.bigEndian, toByteOffset: 11, as: UInt64.self)
    }

    // MARK: - Primitive writes

    @inline(__always)
    private mutating func put(_ value: UInt8) {
        base.storeBytes(of: value, toByteOffset: offset, as: UInt8.self)
        size += 1
    }

    @inline(__always)
    private mutating func put(_ value: UInt16) {
        base.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt16.self)
        size += 2
    }

    @inline(__always)
    private mutating func put(_ value: UInt32) {
        base.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt32.self)
        size += 4
    }

    @inline(__always)
    private mutating func put(_ value: UInt64) {
        base.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt64.self)
        size += 8
    }

    @inline(__always)
    private mutating func reserve(_ count: Int) {
        precondition(offset + count + trailerSize <= capacity, "frame beyond the datagram buffer")
    }

    // MARK: - Frames

    mutating func writePing() {
        reserve(FrameSize.ping)
        put(FrameType.ping.rawValue)
    }

    mutating func writeMaxData(_ value: UInt64) {
        reserve(FrameSize.maxData)
        put(FrameType.maxData.rawValue)
        put(value)
    }

    mutating func writeAckFloor(_ value: UInt64) {
        reserve(FrameSize.ackFloor)
        put(FrameType.ackFloor.rawValue)
        put(value)
    }

    mutating func writePathChallenge(_ data: UInt64) {
        reserve(FrameSize.pathChallenge)
        put(FrameType.pathChallenge.rawValue)
        put(data)
    }

    mutating func writePathResponse(_ data: UInt64) {
        reserve(FrameSize.pathResponse)
        put(FrameType.pathResponse.rawValue)
        put(data)
    }

    /// An ACK frame with the highest `count` of `ranges` (ascending, disjoint, above
    /// `cumulative`), highest first, as `Specs/PROTOCOL.md` section 5.2 lays them out.
    mutating func writeAck(cumulative: UInt64, delayMicroseconds: UInt32, ranges: [AckRange], count: Int) {
        reserve(FrameSize.ack(ranges: count))
        put(FrameType.ack.rawValue)
        put(cumulative)
        put(delayMicroseconds)
        put(UInt8(count))
        var previousLower: UInt64 = 0
        var i = ranges.count - 1
        for n in 0..<count {
            let range = ranges[i]
            if n == 0 {
                put(range.upper)
            } else {
                put(UInt32(truncatingIfNeeded: previousLower - range.upper - 2))
            }
            put(UInt32(truncatingIfNeeded: range.upper - range.lower))
            previousLower = range.lower
            i -= 1
        }
    }

    /// A CLOSE frame (rare: encoded by the codec, then copied).
    mutating func writeClose(_ close: CloseFrame) {
        var bytes: [UInt8] = []
        Frame.close(close).serialize(into: &bytes)
        reserve(bytes.count)
        bytes.withUnsafeBytes { source in
            (base + offset).copyMemory(from: source.baseAddress!, byteCount: source.count)
        }
        size += bytes.count
    }

    /// A MESSAGE frame carrying `payload` (the fragment's bytes, copied here once).
    mutating func writeMessage(
        channel: UInt8, mode: DeliveryMode, sequence: UInt32, totalLength: UInt32, offset fragmentOffset: UInt32,
        payload: UnsafeRawBufferPointer
    ) {
        reserve(FrameSize.messageOverhead + payload.count)
        put(FrameType.message.rawValue)
        put(channel)
        put(mode.rawValue)
        put(sequence)
        put(totalLength)
        put(fragmentOffset)
        put(UInt16(truncatingIfNeeded: payload.count))
        if payload.count > 0 {
            (base + offset).copyMemory(from: payload.baseAddress!, byteCount: payload.count)
            size += payload.count
        }
    }

    // MARK: - Finishing

    /// The packet's length without the trailer.
    var packetLength: Int { size - trailerSize }

    /// Appends the CRC-32C trailer (``Datagram``) and returns the datagram's length.
    mutating func sealWithChecksum() -> Int {
        precondition(trailerSize == Datagram.trailerSize, "a checksum trailer on a protected connection")
        return Self.appendChecksum(to: UnsafeMutableRawBufferPointer(start: base, count: capacity), packetLength: packetLength)
    }

    /// Writes the CRC-32C trailer of the `packetLength` bytes at the start of `buffer` after
    /// them; returns the datagram's length.
    static func appendChecksum(to buffer: UnsafeMutableRawBufferPointer, packetLength: Int) -> Int {
        precondition(buffer.count >= packetLength + Datagram.trailerSize, "no room for the trailer")
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: buffer[0..<packetLength]))
        buffer.baseAddress!.storeBytes(of: crc.bigEndian, toByteOffset: packetLength, as: UInt32.self)
        return packetLength + Datagram.trailerSize
    }
}
