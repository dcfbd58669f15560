/// Writes packets straight into memory the caller owns: the 19-byte header, frames (message
/// payloads with one copy each), then the CRC-32C trailer. The allocation-free counterpart of
/// ``Packet/serialized()`` and ``Datagram/seal(_:)``, producing the same bytes for the same frames.
///
/// **Contract.** The writer takes the engine's input, not the peer's: the caller plans each packet
/// with ``EncodedSize`` and ``remaining`` and only writes what fits. Every write checks once that
/// its frame fits and stops the process if it does not (a programming error, never a consequence
/// of received data), so nothing is ever written past the buffer. Field values are the engine's
/// (the reference encoder also assumes valid input, `Specs/PROTOCOL.md` section 6.2); debug builds
/// assert that they are valid (62-bit values below 2^62, payloads within 65,535 bytes, fragments
/// inside their messages, ACK ranges descending and separated).
///
/// Several datagrams can be written one after another into the same buffer (a batch for
/// segmentation offload): each ``writeHeader(type:flags:destination:packetNumber:)`` starts a
/// packet, ``sealDatagram()`` ends it.
///
/// ```swift
/// let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: 1200, alignment: 8)   // reused
/// var writer = PacketWriter(buffer: storage)
/// writer.writeHeader(destination: peerID, packetNumber: pn)
/// writer.writeAck(cumulative: 10, ackDelayMicroseconds: 250, ranges: [AckRange(12, 15)])
/// let room = writer.remaining - EncodedSize.crcTrailer
/// let n = min(message.count - sent, EncodedSize.maximumMessagePayload(fitting: room) ?? 0)
/// message.withUnsafeBytes { bytes in
///     writer.writeMessage(channel: 0, mode: .reliableOrdered, sequence: seq, totalLength: UInt32(bytes.count),
///                         offset: UInt32(sent), payload: UnsafeRawBufferPointer(rebasing: bytes[sent..<(sent + n)]))
/// }
/// let datagram = writer.sealDatagram()   // storage[datagram] is ready to send
/// ```
public struct PacketWriter {
    /// The memory being written.
    public let buffer: UnsafeMutableRawBufferPointer
    /// Offset of the next byte to write.
    @inlinable public var position: Int { _position }
    /// Offset of the current packet's first byte (where the last header was written).
    @inlinable public var packetStart: Int { _packetStart }

    @usableFromInline var _position: Int
    @usableFromInline var _packetStart: Int

    /// A writer that starts at `position` (0: the start of `buffer`).
    public init(buffer: UnsafeMutableRawBufferPointer, position: Int = 0) {
        precondition(position >= 0 && position <= buffer.count, "PacketWriter: position outside the buffer")
        self.buffer = buffer
        self._position = position
        self._packetStart = position
    }

    /// Bytes left after ``position``.
    @inlinable public var remaining: Int { buffer.count &- position }

    /// The bytes of the current packet written so far (from ``packetStart``).
    @inlinable public var packetBytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: buffer[packetStart..<position])
    }

    /// The start of the buffer (checked non-nil by every write's size check: an empty buffer
    /// fails it first).
    @inlinable var base: UnsafeMutableRawPointer { buffer.baseAddress.unsafelyUnwrapped }

    /// Stops the process unless `size` bytes fit after ``position``.
    @inlinable @inline(__always)
    func reserve(_ size: Int) {
        reserve(upTo: position &+ size)
    }

    /// Stops the process unless the buffer reaches offset `end`.
    @inlinable @inline(__always)
    func reserve(upTo end: Int) {
        precondition(end <= buffer.count, "PacketWriter: frame does not fit in the remaining buffer")
    }

    /// ``Packet/version`` as a constant that folds into the caller's code.
    @inlinable static var version: UInt8 { 0x02 }

    // MARK: header and trailer

    /// Starts a packet: writes the 19-byte header (``EncodedSize/header``) at ``position``.
    @inlinable
    public mutating func writeHeader(type: PacketType = .data, flags: PacketFlags = .plain, destination: ConnectionID, packetNumber: UInt64)
    {
        assert(packetNumber < Packet.packetNumberLimit, "PacketWriter: packet number of 2^62 or more")
        reserve(EncodedSize.header)
        let at = position
        base.storeBigEndian(Self.version, at: at)
        base.storeBigEndian(type.rawValue, at: at &+ 1)
        base.storeBigEndian(flags.rawValue, at: at &+ 2)
        base.storeBigEndian(destination.rawValue, at: at &+ 3)
        base.storeBigEndian(packetNumber, at: at &+ 11)
        _packetStart = at
        _position = at &+ EncodedSize.header
    }

    /// Ends a plain datagram: appends the CRC-32C of the current packet (from ``packetStart``),
    /// big-endian (``EncodedSize/crcTrailer`` bytes), as ``Datagram/seal(_:)`` does. Returns the
    /// datagram's range in ``buffer``; the next header starts a new packet after it.
    @discardableResult
    public mutating func sealDatagram() -> Range<Int> {
        reserve(EncodedSize.crcTrailer)
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(start: base + packetStart, count: position &- packetStart))
        base.storeBigEndian(crc, at: position)
        _position &+= EncodedSize.crcTrailer
        let datagram = packetStart..<position
        _packetStart = position
        return datagram
    }

    /// Ends a packet without a trailer (for the security layer, which appends its tag itself):
    /// returns the packet's range in ``buffer``; the next header starts a new packet after it.
    @discardableResult
    public mutating func finishPacket() -> Range<Int> {
        let packet = packetStart..<position
        _packetStart = position
        return packet
    }

    // MARK: frames

    /// Writes a PING frame (``EncodedSize/ping``).
    @inlinable
    public mutating func writePing() {
        reserve(EncodedSize.ping)
        base.storeBigEndian(FrameType.ping.rawValue, at: position)
        _position &+= EncodedSize.ping
    }

    /// Writes a MAX_DATA frame (``EncodedSize/maxData``): the credit limit, below 2^62.
    @inlinable
    public mutating func writeMaxData(_ maximumData: UInt64) {
        writeTypeAndValue(FrameType.maxData.rawValue, maximumData, limit62: true)
    }

    /// Writes an ACK_FLOOR frame (``EncodedSize/ackFloor``): the floor, below 2^62.
    @inlinable
    public mutating func writeAckFloor(_ floor: UInt64) {
        writeTypeAndValue(FrameType.ackFloor.rawValue, floor, limit62: true)
    }

    /// Writes a PATH_CHALLENGE frame (``EncodedSize/pathChallenge``): 8 opaque bytes, big-endian.
    @inlinable
    public mutating func writePathChallenge(_ data: UInt64) {
        writeTypeAndValue(FrameType.pathChallenge.rawValue, data, limit62: false)
    }

    /// Writes a PATH_RESPONSE frame (``EncodedSize/pathResponse``): the challenge's 8 bytes.
    @inlinable
    public mutating func writePathResponse(_ data: UInt64) {
        writeTypeAndValue(FrameType.pathResponse.rawValue, data, limit62: false)
    }

    @inlinable @inline(__always)
    mutating func writeTypeAndValue(_ type: UInt8, _ value: UInt64, limit62: Bool) {
        assert(!limit62 || value < Packet.packetNumberLimit, "PacketWriter: 62-bit value of 2^62 or more")
        reserve(9)
        base.storeBigEndian(type, at: position)
        base.storeBigEndian(value, at: position &+ 1)
        _position &+= 9
    }

    /// Writes an ACK frame from its cumulative point, delay and ranges, highest first (as
    /// ``AckFrame/ranges``), without building an ``AckFrame``: ``EncodedSize/ack(rangeCount:)``
    /// bytes. At most ``AckFrame/maximumRanges`` ranges, each above the next with at least one
    /// missing packet between them, the lowest above `cumulative` (the rules of section 5.2).
    ///
    /// `ranges` can be any sequence (an array, a buffer, ``AckFrameView/ranges``, the engine's own
    /// store): the function is `@inlinable`, so it is specialised for it in the caller's module.
    @inlinable
    public mutating func writeAck<Ranges: Sequence<AckRange>>(cumulative: UInt64, ackDelayMicroseconds: UInt32, ranges: Ranges) {
        assert(cumulative < Packet.packetNumberLimit, "PacketWriter: ACK cumulative of 2^62 or more")
        reserve(EncodedSize.ackWithoutRanges)
        let start = position
        base.storeBigEndian(FrameType.ack.rawValue, at: start)
        base.storeBigEndian(cumulative, at: start &+ 1)
        base.storeBigEndian(ackDelayMicroseconds, at: start &+ 9)
        var at = start &+ EncodedSize.ackWithoutRanges
        var count = 0
        var previousLower: UInt64 = 0
        for range in ranges {
            assert(range.lower <= range.upper && range.upper - range.lower <= UInt64(UInt32.max), "PacketWriter: invalid ACK range")
            if count == 0 {
                assert(range.upper < Packet.packetNumberLimit, "PacketWriter: ACK range of 2^62 or more")
                reserve(upTo: at &+ 12)
                base.storeBigEndian(range.upper, at: at)
                at &+= 8
            } else {
                assert(
                    range.upper &+ 2 <= previousLower && previousLower - range.upper - 2 <= UInt64(UInt32.max),
                    "PacketWriter: ACK ranges not descending with a gap")
                reserve(upTo: at &+ 8)
                base.storeBigEndian(UInt32(truncatingIfNeeded: previousLower &- range.upper &- 2), at: at)
                at &+= 4
            }
            base.storeBigEndian(UInt32(truncatingIfNeeded: range.upper &- range.lower), at: at)
            at &+= 4
            previousLower = range.lower
            count &+= 1
        }
        assert(count <= AckFrame.maximumRanges, "PacketWriter: more than \(AckFrame.maximumRanges) ACK ranges")
        assert(count == 0 || previousLower > cumulative, "PacketWriter: lowest ACK range not above the cumulative point")
        base.storeBigEndian(UInt8(truncatingIfNeeded: count), at: start &+ 13)
        _position = at
    }

    /// Writes the header of a MESSAGE frame and copies its payload with one `memcpy`:
    /// ``EncodedSize/message(payloadCount:)`` bytes. `payload` (at most 65,535 bytes) must lie
    /// inside the message (`offset + payload.count <= totalLength`; an empty payload only for an
    /// empty message).
    @inlinable
    public mutating func writeMessage(
        channel: UInt8, mode: DeliveryMode, sequence: UInt32, totalLength: UInt32, offset: UInt32,
        payload: UnsafeRawBufferPointer
    ) {
        let destination = writeMessageHeader(
            channel: channel, mode: mode, sequence: sequence, totalLength: totalLength,
            offset: offset, payloadCount: payload.count)
        if let source = payload.baseAddress, payload.count > 0 {
            destination.baseAddress.unsafelyUnwrapped.copyMemory(from: source, byteCount: payload.count)
        }
    }

    /// Writes the header of a MESSAGE frame announcing `payloadCount` bytes and returns the place
    /// of its payload in ``buffer``, for a caller that assembles the payload itself (from several
    /// pieces of a ring buffer, say). The caller must fill all of it before the packet is sealed.
    @inlinable
    public mutating func writeMessageHeader(
        channel: UInt8, mode: DeliveryMode, sequence: UInt32, totalLength: UInt32, offset: UInt32,
        payloadCount: Int
    ) -> UnsafeMutableRawBufferPointer {
        assert(payloadCount >= 0 && payloadCount <= Int(UInt16.max), "PacketWriter: MESSAGE payload above 65,535 bytes")
        assert(
            payloadCount == 0 ? totalLength == 0 && offset == 0 : UInt64(offset) + UInt64(payloadCount) <= UInt64(totalLength),
            "PacketWriter: MESSAGE fragment outside its message")
        let size = EncodedSize.message(payloadCount: payloadCount)
        reserve(size)
        let at = position
        base.storeBigEndian(FrameType.message.rawValue, at: at)
        base.storeBigEndian(channel, at: at &+ 1)
        base.storeBigEndian(mode.rawValue, at: at &+ 2)
        base.storeBigEndian(sequence, at: at &+ 3)
        base.storeBigEndian(totalLength, at: at &+ 7)
        base.storeBigEndian(offset, at: at &+ 11)
        base.storeBigEndian(UInt16(truncatingIfNeeded: payloadCount), at: at &+ 15)
        _position = at &+ size
        return UnsafeMutableRawBufferPointer(start: base + (at &+ EncodedSize.messageOverhead), count: payloadCount)
    }

    /// Writes a CLOSE frame: ``EncodedSize/close(_:)`` bytes, the reason cut to 200 bytes at a
    /// code-point boundary as ``CloseFrame`` serializes it (may allocate: CLOSE is rare).
    public mutating func writeClose(_ frame: CloseFrame) {
        let reason = frame.reasonBytes
        reserve(EncodedSize.close(reasonByteCount: reason.count))
        base.storeBigEndian(FrameType.close.rawValue, at: position)
        base.storeBigEndian(frame.code.rawValue, at: position &+ 1)
        base.storeBigEndian(UInt8(truncatingIfNeeded: reason.count), at: position &+ 3)
        _position &+= 4
        reason.withUnsafeBytes { bytes in
            if let source = bytes.baseAddress, bytes.count > 0 {
                (base + position).copyMemory(from: source, byteCount: bytes.count)
            }
        }
        _position &+= reason.count
    }

    /// Writes any frame of the reference codec (``Frame/encodedSize`` bytes): the same bytes as
    /// ``Frame/serialize(into:)``. For tests and rare frames; the engine's hot path calls the
    /// specific writers.
    public mutating func writeFrame(_ frame: Frame) {
        switch frame {
        case .ping: writePing()
        case .ack(let ack): writeAck(cumulative: ack.cumulative, ackDelayMicroseconds: ack.ackDelayMicroseconds, ranges: ack.ranges)
        case .maxData(let value): writeMaxData(value)
        case .ackFloor(let value): writeAckFloor(value)
        case .message(let m):
            m.payload.withUnsafeBytes { payload in
                writeMessage(
                    channel: m.channel, mode: m.mode, sequence: m.sequence, totalLength: m.totalLength,
                    offset: m.offset, payload: payload)
            }
        case .close(let close): writeClose(close)
        case .pathChallenge(let data): writePathChallenge(data)
        case .pathResponse(let data): writePathResponse(data)
        }
    }
}
