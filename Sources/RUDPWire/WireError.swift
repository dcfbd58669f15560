/// Why a datagram could not be parsed.
///
/// Every malformed input yields one of these errors; the parser never traps and never
/// reads past the end of its input. ``name`` is the stable identifier used by the test
/// vectors in `Specs/vectors/`.
///
/// A struct rather than an enum (swift-nio-ssh's `NIOSSHError` pattern): switch on ``code``
/// with a `default:` branch, so a new kind of error in a later version does not break the
/// `switch`; two errors are equal when their codes and details (offsets, sizes) are.
///
/// ```swift
/// do {
///     let packet = try Packet.parse(bytes)
///     handle(packet)
/// } catch {   // a WireError: parse(_:) throws(WireError)
///     switch error.code {
///     case .checksumMismatch: corrupted += 1
///     default: log("dropped: \(error)")   // "packet truncated: 7 more byte(s) needed at offset 21"
///     }
/// }
/// ```
public struct WireError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of parse error, to switch on (with a `default:` branch: new codes may be added).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case truncated
            case oversize
            case unsupportedVersion
            case unknownPacketType
            case invalidFlags
            case unknownFrameType
            case valueOutOfRange
            case emptyPacket
            case trailingBytes
            case invalidAckRanges
            case tooManyAckRanges
            case invalidFragment
            case invalidCloseReason
            case invalidTransportParameter
            case zeroConnectionID
            case checksumMismatch
            case invalidPadding
        }

        fileprivate var base: Base

        /// The input ended while more bytes were expected.
        public static let truncated = Code(base: .truncated)
        /// The datagram is larger than ``Packet/maximumDatagramSize``.
        public static let oversize = Code(base: .oversize)
        /// The version byte is not ``Packet/version``.
        public static let unsupportedVersion = Code(base: .unsupportedVersion)
        /// The packet type byte is not one of ``PacketType``.
        public static let unknownPacketType = Code(base: .unknownPacketType)
        /// A flags field has bits set that this version does not define.
        public static let invalidFlags = Code(base: .invalidFlags)
        /// The frame type byte is not one of ``FrameType``.
        public static let unknownFrameType = Code(base: .unknownFrameType)
        /// A packet number or other 62-bit quantity is 2^62 or larger.
        public static let valueOutOfRange = Code(base: .valueOutOfRange)
        /// A DATA packet carried no frames.
        public static let emptyPacket = Code(base: .emptyPacket)
        /// Bytes follow a structure that must end the packet.
        public static let trailingBytes = Code(base: .trailingBytes)
        /// An ACK frame's ranges are not strictly descending, overlap, or reach below the cumulative point.
        public static let invalidAckRanges = Code(base: .invalidAckRanges)
        /// An ACK frame lists more than ``AckFrame/maximumRanges`` ranges.
        public static let tooManyAckRanges = Code(base: .tooManyAckRanges)
        /// A MESSAGE frame's offset and length do not fit inside its total length.
        public static let invalidFragment = Code(base: .invalidFragment)
        /// A CLOSE frame's reason is not valid UTF-8 or is longer than ``CloseFrame/maximumReasonLength``.
        public static let invalidCloseReason = Code(base: .invalidCloseReason)
        /// A handshake parameter is outside its allowed range.
        public static let invalidTransportParameter = Code(base: .invalidTransportParameter)
        /// A connection ID of zero appeared where a real one is required.
        public static let zeroConnectionID = Code(base: .zeroConnectionID)
        /// The datagram's CRC-32C trailer does not match its contents (corrupted in transit).
        public static let checksumMismatch = Code(base: .checksumMismatch)
        /// A protected CONNECT's padding holds a byte other than zero.
        public static let invalidPadding = Code(base: .invalidPadding)

        /// The code's stable name, for example `"truncated"` (the same as ``WireError/name``).
        public var description: String { base.rawValue }
    }

    /// The error with its details; internal so that it can grow without breaking users.
    enum Storage: Hashable, Sendable {
        case truncated(offset: Int, needed: Int)
        case oversize(size: Int)
        case unsupportedVersion(UInt8)
        case unknownPacketType(UInt8)
        case invalidFlags(UInt8)
        case unknownFrameType(UInt8, offset: Int)
        case valueOutOfRange(field: String)
        case emptyPacket
        case trailingBytes(count: Int)
        case invalidAckRanges
        case tooManyAckRanges(Int)
        case invalidFragment
        case invalidCloseReason
        case invalidTransportParameter(String)
        case zeroConnectionID
        case checksumMismatch
        case invalidPadding
    }

    /// The error with its details.
    let storage: Storage

    private init(_ storage: Storage) { self.storage = storage }

    /// The input ended while `needed` more bytes were expected at byte `offset`.
    public static func truncated(offset: Int, needed: Int) -> WireError {
        WireError(.truncated(offset: offset, needed: needed))
    }
    /// The datagram of `size` bytes is larger than ``Packet/maximumDatagramSize``.
    public static func oversize(size: Int) -> WireError {
        WireError(.oversize(size: size))
    }
    /// The version byte, `version`, is not ``Packet/version``.
    public static func unsupportedVersion(_ version: UInt8) -> WireError {
        WireError(.unsupportedVersion(version))
    }
    /// The packet type byte, `type`, is not one of ``PacketType``.
    public static func unknownPacketType(_ type: UInt8) -> WireError {
        WireError(.unknownPacketType(type))
    }
    /// A flags field, `flags`, has bits set that this version does not define.
    public static func invalidFlags(_ flags: UInt8) -> WireError {
        WireError(.invalidFlags(flags))
    }
    /// The frame type byte `type` at byte `offset` is not one of ``FrameType``.
    public static func unknownFrameType(_ type: UInt8, offset: Int) -> WireError {
        WireError(.unknownFrameType(type, offset: offset))
    }
    /// The 62-bit quantity named `field` (for example `"packetNumber"`) is 2^62 or larger.
    public static func valueOutOfRange(field: String) -> WireError {
        WireError(.valueOutOfRange(field: field))
    }
    /// A DATA packet carried no frames.
    public static let emptyPacket = WireError(.emptyPacket)
    /// `count` bytes follow a structure that must end the packet.
    public static func trailingBytes(count: Int) -> WireError {
        WireError(.trailingBytes(count: count))
    }
    /// An ACK frame's ranges are not strictly descending, overlap, or reach below the cumulative point.
    public static let invalidAckRanges = WireError(.invalidAckRanges)
    /// An ACK frame lists `count` ranges, more than ``AckFrame/maximumRanges``.
    public static func tooManyAckRanges(_ count: Int) -> WireError {
        WireError(.tooManyAckRanges(count))
    }
    /// A MESSAGE frame's offset and length do not fit inside its total length.
    public static let invalidFragment = WireError(.invalidFragment)
    /// A CLOSE frame's reason is not valid UTF-8 or is longer than ``CloseFrame/maximumReasonLength``.
    public static let invalidCloseReason = WireError(.invalidCloseReason)
    /// The handshake parameter named `parameter` is outside its allowed range.
    public static func invalidTransportParameter(_ parameter: String) -> WireError {
        WireError(.invalidTransportParameter(parameter))
    }
    /// A connection ID of zero appeared where a real one is required.
    public static let zeroConnectionID = WireError(.zeroConnectionID)
    /// The datagram's CRC-32C trailer does not match its contents (corrupted in transit).
    public static let checksumMismatch = WireError(.checksumMismatch)
    /// A protected CONNECT's padding holds a byte other than zero.
    public static let invalidPadding = WireError(.invalidPadding)

    /// The kind of error, to switch on (with a `default:` branch: new codes may be added).
    public var code: Code {
        switch storage {
        case .truncated: return .truncated
        case .oversize: return .oversize
        case .unsupportedVersion: return .unsupportedVersion
        case .unknownPacketType: return .unknownPacketType
        case .invalidFlags: return .invalidFlags
        case .unknownFrameType: return .unknownFrameType
        case .valueOutOfRange: return .valueOutOfRange
        case .emptyPacket: return .emptyPacket
        case .trailingBytes: return .trailingBytes
        case .invalidAckRanges: return .invalidAckRanges
        case .tooManyAckRanges: return .tooManyAckRanges
        case .invalidFragment: return .invalidFragment
        case .invalidCloseReason: return .invalidCloseReason
        case .invalidTransportParameter: return .invalidTransportParameter
        case .zeroConnectionID: return .zeroConnectionID
        case .checksumMismatch: return .checksumMismatch
        case .invalidPadding: return .invalidPadding
        }
    }

    /// A stable, short identifier of the kind of error (``Code/description``), for example
    /// `"truncated"`: used by the test vectors and as a counter label.
    public var name: String { code.description }

    /// For ``Code/truncated`` and ``Code/unknownFrameType``: the byte offset in the datagram
    /// where the problem was found; otherwise nil.
    public var offset: Int? {
        switch storage {
        case let .truncated(offset, _), let .unknownFrameType(_, offset): return offset
        default: return nil
        }
    }

    /// What is wrong with the datagram, in words, for example
    /// "packet truncated: 7 more byte(s) needed at offset 21".
    public var description: String {
        switch storage {
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
