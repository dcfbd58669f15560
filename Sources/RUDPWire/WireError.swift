/// Why a datagram could not be parsed.
///
/// Every malformed input yields one of these cases; the parser never traps and never
/// reads past the end of its input. ``name`` is the stable identifier used by the test
/// vectors in `Specs/vectors/`.
public enum WireError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The input ended while `needed` more bytes were expected at byte `offset`.
    case truncated(offset: Int, needed: Int)
    /// The datagram is larger than ``Packet/maximumDatagramSize``.
    case oversize(size: Int)
    /// The version byte is not ``Packet/version``.
    case unsupportedVersion(UInt8)
    /// The packet type byte is not one of ``PacketType``.
    case unknownPacketType(UInt8)
    /// A flags field has bits set that this version does not define.
    case invalidFlags(UInt8)
    /// The frame type byte is not one of ``FrameType``.
    case unknownFrameType(UInt8, offset: Int)
    /// A packet number or other 62-bit quantity is 2^62 or larger.
    case valueOutOfRange(field: String)
    /// A DATA packet carried no frames.
    case emptyPacket
    /// Bytes follow a structure that must end the packet.
    case trailingBytes(count: Int)
    /// An ACK frame's ranges are not strictly descending, overlap, or reach below the cumulative point.
    case invalidAckRanges
    /// An ACK frame lists more than ``AckFrame/maximumRanges`` ranges.
    case tooManyAckRanges(Int)
    /// A MESSAGE frame's offset and length do not fit inside its total length.
    case invalidFragment
    /// A CLOSE frame's reason is not valid UTF-8 or is longer than ``CloseFrame/maximumReasonLength``.
    case invalidCloseReason
    /// A handshake parameter is outside its allowed range.
    case invalidTransportParameter(String)
    /// A connection ID of zero appeared where a real one is required.
    case zeroConnectionID
    /// The datagram's CRC-32C trailer does not match its contents (corrupted in transit).
    case checksumMismatch
    /// A protected CONNECT's padding holds a byte other than zero.
    case invalidPadding

    /// A stable, short identifier for this error (used by the test vectors).
    public var name: String {
        switch self {
        case .truncated: return "truncated"
        case .oversize: return "oversize"
        case .unsupportedVersion: return "unsupportedVersion"
        case .unknownPacketType: return "unknownPacketType"
        case .invalidFlags: return "invalidFlags"
        case .unknownFrameType: return "unknownFrameType"
        case .valueOutOfRange: return "valueOutOfRange"
        case .emptyPacket: return "emptyPacket"
        case .trailingBytes: return "trailingBytes"
        case .invalidAckRanges: return "invalidAckRanges"
        case .tooManyAckRanges: return "tooManyAckRanges"
        case .invalidFragment: return "invalidFragment"
        case .invalidCloseReason: return "invalidCloseReason"
        case .invalidTransportParameter: return "invalidTransportParameter"
        case .zeroConnectionID: return "zeroConnectionID"
        case .checksumMismatch: return "checksumMismatch"
        case .invalidPadding: return "invalidPadding"
        }
    }

    public var description: String {
        switch self {
        case let .truncated(offset, needed): return "packet truncated: \(needed) more byte(s) needed at offset \(offset)"
        case let .oversize(size): return "datagram of \(size) bytes exceeds the maximum of \(Packet.maximumDatagramSize)"
        case let .unsupportedVersion(v): return "unsupported protocol version \(v) (this implementation speaks \(Packet.version))"
        case let .unknownPacketType(t): return "unknown packet type 0x\(String(t, radix: 16))"
        case let .invalidFlags(f): return "undefined flag bits set: 0x\(String(f, radix: 16))"
        case let .unknownFrameType(t, offset): return "unknown frame type 0x\(String(t, radix: 16)) at offset \(offset)"
        case let .valueOutOfRange(field): return "\(field) is out of range"
        case .emptyPacket: return "DATA packet carries no frames"
        case let .trailingBytes(count): return "\(count) unexpected trailing byte(s)"
        case .invalidAckRanges: return "ACK ranges are not descending, disjoint and above the cumulative point"
        case let .tooManyAckRanges(n): return "ACK frame lists \(n) ranges (maximum \(AckFrame.maximumRanges))"
        case .invalidFragment: return "MESSAGE fragment does not fit inside its message"
        case .invalidCloseReason: return "CLOSE reason is not valid UTF-8 of at most \(CloseFrame.maximumReasonLength) bytes"
        case let .invalidTransportParameter(p): return "transport parameter \(p) is out of range"
        case .zeroConnectionID: return "connection ID zero is reserved"
        case .checksumMismatch: return "datagram checksum mismatch (corrupted in transit)"
        case .invalidPadding: return "protected CONNECT padding is not all zero"
        }
    }
}
