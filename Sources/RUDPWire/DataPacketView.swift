/// A DATA packet validated in place by ``PacketView/init(validating:)``: its header, a few facts
/// gathered while validating, and its frames as views (``frames``).
///
/// Nothing is copied: the view refers to the caller's memory and is valid as long as it is (in
/// the engine: for the duration of the call that received the datagram).
///
/// ```swift
/// guard case .data(let data) = try PacketView(validating: packet) else { return }
/// if data.isAckEliciting { scheduleAck(data.header.packetNumber) }
/// for frame in data.frames { handle(frame) }
/// ```
public struct DataPacketView {
    /// The packet's header (type ``PacketType/data``).
    public let header: Packet.Header
    /// The whole packet: header and frames, without trailer or tag.
    public let bytes: UnsafeRawBufferPointer
    /// How many frames the packet holds (at least 1).
    public let frameCount: Int
    /// Whether any frame is ack-eliciting (PING, MESSAGE or CLOSE; ``Frame/isAckEliciting``).
    public let isAckEliciting: Bool

    /// The frames, in packet order.
    @inlinable public var frames: FrameCursor { FrameCursor(packet: bytes) }

    /// The packet as a ``Packet`` of the reference codec (allocates); for tests and rare paths.
    public var packet: Packet {
        Packet(
            destination: header.destination, packetNumber: header.packetNumber,
            body: .data(frames.map(\.frame)), flags: header.flags)
    }

    init(header: Packet.Header, bytes: UnsafeRawBufferPointer, frameCount: Int, isAckEliciting: Bool) {
        self.header = header
        self.bytes = bytes
        self.frameCount = frameCount
        self.isAckEliciting = isAckEliciting
    }

    /// Validates the frames after the header that `reader` has just read, exactly as `Frame.parse`
    /// does (the same checks in the same order, so the same ``WireError``), without keeping
    /// anything. ``PacketView`` runs it when ``FastValidation`` rejected a packet, to name the error.
    init(header: Packet.Header, carefullyValidating packet: UnsafeRawBufferPointer, reader: inout ByteReader) throws(WireError) {
        var count = 0
        var ackEliciting = false
        while !reader.isAtEnd {
            let at = reader.offset
            let typeByte = try reader.readUInt8()
            guard let type = FrameType(rawValue: typeByte) else { throw .unknownFrameType(typeByte, offset: at) }
            switch type {
            case .ping:
                ackEliciting = true
            case .ack:
                try Self.validateAck(&reader)
            case .maxData:
                _ = try reader.readUInt62(field: "maxData")
            case .ackFloor:
                _ = try reader.readUInt62(field: "ackFloor")
            case .message:
                try Self.validateMessage(&reader)
                ackEliciting = true
            case .close:
                try Self.validateClose(&reader)
                ackEliciting = true
            case .pathChallenge, .pathResponse:
                _ = try reader.readUInt64()
            }
            count += 1
        }
        if count == 0 { throw .emptyPacket }
        self.header = header
        self.bytes = packet
        self.frameCount = count
        self.isAckEliciting = ackEliciting
    }

    /// The checks of `AckFrame.parse` and `AckFrame.validate`, in their order. (Of `validate`'s
    /// checks only the last, rule 4, can fail after the parse's own: the others hold by
    /// construction of the ranges from gaps and lengths.)
    private static func validateAck(_ reader: inout ByteReader) throws(WireError) {
        let cumulative = try reader.readUInt62(field: "cumulative")
        _ = try reader.readUInt32()  // ack delay
        let count = Int(try reader.readUInt8())
        if count > AckFrame.maximumRanges { throw .tooManyAckRanges(count) }
        guard count > 0 else { return }
        let largest = try reader.readUInt62(field: "largestAcknowledged")
        let length = UInt64(try reader.readUInt32())
        guard length <= largest else { throw .invalidAckRanges }
        var previousLower = largest - length
        for _ in 1..<count {
            let gap = UInt64(try reader.readUInt32())
            let length = UInt64(try reader.readUInt32())
            guard previousLower >= gap + 2 else { throw .invalidAckRanges }
            let upper = previousLower - gap - 2
            guard length <= upper else { throw .invalidAckRanges }
            previousLower = upper - length
        }
        if previousLower <= cumulative { throw .invalidAckRanges }
    }

    /// The checks of `MessageFrame.parse` and `MessageFrame.isWellFormed`, in their order.
    private static func validateMessage(_ reader: inout ByteReader) throws(WireError) {
        _ = try reader.readUInt8()  // channel
        let flags = try reader.readUInt8()
        guard DeliveryMode(rawValue: flags) != nil else { throw .invalidFlags(flags) }
        _ = try reader.readUInt32()  // sequence
        let total = try reader.readUInt32()
        let offset = try reader.readUInt32()
        let length = Int(try reader.readUInt16())
        _ = try reader.readView(length)
        if length == 0 {
            guard total == 0 && offset == 0 else { throw .invalidFragment }
        } else {
            guard UInt64(offset) + UInt64(length) <= UInt64(total) else { throw .invalidFragment }
        }
    }

    /// The checks of `CloseFrame.parse`, in their order; the UTF-8 check without making a `String`.
    private static func validateClose(_ reader: inout ByteReader) throws(WireError) {
        _ = try reader.readUInt16()  // code
        let length = Int(try reader.readUInt8())
        if length > CloseFrame.maximumReasonLength { throw .invalidCloseReason }
        let reason = try reader.readView(length)
        guard UTF8Validation.isValid(reason) else { throw .invalidCloseReason }
    }
}
