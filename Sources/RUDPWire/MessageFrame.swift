/// One fragment of an application message (the whole message when it fits one datagram).
///
/// Wire layout after the type byte: channel (1), flags (1: bit 0 reliable, bit 1 ordered),
/// sequence (4), total length (4), offset (4), fragment length (2), then the fragment's bytes.
public struct MessageFrame: Hashable, Sendable {
    /// Bytes of this frame before the fragment payload, including the type byte.
    public static let overhead = 17

    /// Channel the message travels on.
    public var channel: UInt8
    /// Delivery mode of the message.
    public var mode: DeliveryMode
    /// Message sequence number, per channel; reliable and unreliable messages count separately.
    /// Wraps modulo 2^32 and is compared with serial-number arithmetic.
    public var sequence: UInt32
    /// Length of the whole message in bytes.
    public var totalLength: UInt32
    /// Position of this fragment inside the message.
    public var offset: UInt32
    /// This fragment's bytes.
    public var payload: [UInt8]

    /// A fragment of message `sequence` on `channel`, holding `payload` at
    /// `offset` of the `totalLength`-byte message.
    public init(channel: UInt8, mode: DeliveryMode, sequence: UInt32, totalLength: UInt32, offset: UInt32, payload: [UInt8]) {
        self.channel = channel
        self.mode = mode
        self.sequence = sequence
        self.totalLength = totalLength
        self.offset = offset
        self.payload = payload
    }

    /// Whether the fragment lies inside its message; an empty fragment is allowed only for an empty message.
    public var isWellFormed: Bool {
        if payload.count > Int(UInt16.max) { return false }
        if payload.isEmpty { return totalLength == 0 && offset == 0 }
        return UInt64(offset) + UInt64(payload.count) <= UInt64(totalLength)
    }

    static func parse(_ reader: inout ByteReader) throws(WireError) -> MessageFrame {
        let channel = try reader.readUInt8()
        let flags = try reader.readUInt8()
        guard let mode = DeliveryMode(rawValue: flags) else { throw .invalidFlags(flags) }
        let sequence = try reader.readUInt32()
        let total = try reader.readUInt32()
        let offset = try reader.readUInt32()
        let length = Int(try reader.readUInt16())
        let payload = try reader.readBytes(length)
        let frame = MessageFrame(channel: channel, mode: mode, sequence: sequence, totalLength: total, offset: offset, payload: payload)
        guard frame.isWellFormed else { throw .invalidFragment }
        return frame
    }

    func serialize(into out: inout [UInt8]) {
        out.appendBigEndian(channel)
        out.appendBigEndian(mode.rawValue)
        out.appendBigEndian(sequence)
        out.appendBigEndian(totalLength)
        out.appendBigEndian(offset)
        out.appendBigEndian(UInt16(truncatingIfNeeded: payload.count))
        out.append(contentsOf: payload)
    }

    /// Encoded size including the frame type byte.
    public var encodedSize: Int { Self.overhead + payload.count }
}
