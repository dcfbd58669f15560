/// Iterates the frames of a validated DATA packet in order, decoding each in place as a
/// ``FrameView``; a sequence and its own iterator, made by ``DataPacketView/frames``.
///
/// The packet was validated as a whole by ``PacketView/init(validating:)`` (`Specs/PROTOCOL.md`
/// section 6: nothing of a datagram is acted on before all of it parsed), so decoding repeats no
/// check of the protocol. The bytes must not change between validation and iteration; if they
/// do, a bounds check stops the process rather than read outside the packet.
///
/// ```swift
/// var frames = data.frames
/// while let frame = frames.next() {
///     if case .message(let m) = frame { consume(m.payload) }
/// }
/// ```
public struct FrameCursor: Sequence, IteratorProtocol {
    @usableFromInline let base: UnsafeRawPointer
    @usableFromInline let end: Int
    /// Offset of the next frame's type byte.
    @usableFromInline var offset: Int

    @inlinable
    init(packet: UnsafeRawBufferPointer) {
        // A validated packet has at least the header and one frame, so its base address is not nil.
        self.base = packet.baseAddress.unsafelyUnwrapped
        self.end = packet.count
        self.offset = EncodedSize.header
    }

    /// The next frame, or nil after the last.
    @inlinable @inline(__always)
    public mutating func next() -> FrameView? {
        guard offset < end else { return nil }
        let typeByte = base.bigEndianUInt8(at: offset)
        let at = offset &+ 1  // the frame's first field
        switch typeByte {
        case 0x01:  // PING
            offset = at
            return .ping
        case 0x02:  // ACK: cumulative (8), delay (4), range count (1), ranges
            require(at &+ 13)
            let rangeCount = Int(base.bigEndianUInt8(at: at &+ 12))
            let size = EncodedSize.ack(rangeCount: rangeCount) &- 1
            require(at &+ size)
            offset = at &+ size
            return .ack(
                AckFrameView(
                    cumulative: base.bigEndianUInt64(at: at),
                    ackDelayMicroseconds: base.bigEndianUInt32(at: at &+ 8),
                    rangeCount: rangeCount, rangeBytes: base + (at &+ 13)))
        case 0x03:  // MAX_DATA
            require(at &+ 8)
            offset = at &+ 8
            return .maxData(base.bigEndianUInt64(at: at))
        case 0x04:  // ACK_FLOOR
            require(at &+ 8)
            offset = at &+ 8
            return .ackFloor(base.bigEndianUInt64(at: at))
        case 0x05:  // MESSAGE: channel (1), flags (1), sequence (4), total (4), offset (4), length (2), payload
            require(at &+ 16)
            let length = Int(base.bigEndianUInt16(at: at &+ 14))
            let payloadStart = at &+ 16
            require(payloadStart &+ length)
            offset = payloadStart &+ length
            let mode: DeliveryMode
            switch base.bigEndianUInt8(at: at &+ 1) {
            case 0x03: mode = .reliableOrdered
            case 0x01: mode = .reliableUnordered
            default: mode = .unreliable  // 0x00: validation rejected every other value
            }
            return .message(
                MessageFrameView(
                    channel: base.bigEndianUInt8(at: at), mode: mode,
                    sequence: base.bigEndianUInt32(at: at &+ 2),
                    totalLength: base.bigEndianUInt32(at: at &+ 6),
                    offset: base.bigEndianUInt32(at: at &+ 10),
                    payload: UnsafeRawBufferPointer(start: base + payloadStart, count: length)))
        case 0x06:  // CLOSE: code (2), reason length (1), reason
            require(at &+ 3)
            let length = Int(base.bigEndianUInt8(at: at &+ 2))
            require(at &+ 3 &+ length)
            offset = at &+ 3 &+ length
            return .close(
                CloseFrameView(
                    code: CloseCode(rawValue: base.bigEndianUInt16(at: at)),
                    reasonBytes: UnsafeRawBufferPointer(start: base + (at &+ 3), count: length)))
        case 0x07:  // PATH_CHALLENGE
            require(at &+ 8)
            offset = at &+ 8
            return .pathChallenge(base.bigEndianUInt64(at: at))
        case 0x08:  // PATH_RESPONSE
            require(at &+ 8)
            offset = at &+ 8
            return .pathResponse(base.bigEndianUInt64(at: at))
        default:
            preconditionFailure("FrameCursor: the packet's bytes changed after validation")
        }
    }

    /// Stops the process if a frame would end past the packet: only possible if the caller
    /// changed the bytes after validating them.
    @inlinable @inline(__always)
    func require(_ frameEnd: Int) {
        precondition(frameEnd <= end, "FrameCursor: the packet's bytes changed after validation")
    }
}
