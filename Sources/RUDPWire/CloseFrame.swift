/// Why a connection is being closed, as sent to the peer.
public struct CloseCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The 16-bit value on the wire.
    public var rawValue: UInt16
    /// The code with this 16-bit wire value; values this version does not name are kept as they are.
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Graceful close: everything sent was acknowledged.
    public static let normal = CloseCode(rawValue: 0)
    /// The sender aborted; unacknowledged messages were discarded.
    public static let aborted = CloseCode(rawValue: 1)
    /// The sender received something the protocol forbids.
    public static let protocolViolation = CloseCode(rawValue: 2)
    /// The peer sent more than the flow-control window allowed.
    public static let flowControlViolation = CloseCode(rawValue: 3)
    /// The server is shutting down.
    public static let serverShutdown = CloseCode(rawValue: 4)
    /// The server refused the connection (for example, too many connections).
    public static let refused = CloseCode(rawValue: 5)
    /// The server requires packet security, but the CONNECT was plain (sent statelessly, in clear).
    public static let securityRequired = CloseCode(rawValue: 6)
    /// The receiver has no packet security configured, but the CONNECT was protected (sent
    /// statelessly, in clear).
    public static let securityNotConfigured = CloseCode(rawValue: 7)
    /// Both sides use security with the same key but different modes (authenticated vs encrypted).
    public static let securityModeMismatch = CloseCode(rawValue: 8)
    /// The operator's application idle limit passed with no message sent or received on the
    /// connection (keep-alive ACKs and PINGs do not count).
    public static let applicationIdle = CloseCode(rawValue: 9)
    /// The endpoint's receive-memory budget was exhausted and this connection held the most.
    public static let resourceLimit = CloseCode(rawValue: 10)

    /// Whether the code reports a security configuration mismatch (codes 6–8).
    public var isSecurityMismatch: Bool {
        self == .securityRequired || self == .securityNotConfigured || self == .securityModeMismatch
    }

    /// The code in words, for example `protocol violation`, or `code 42` for one this version
    /// does not name.
    public var description: String {
        switch self {
        case .normal: return "normal"
        case .aborted: return "aborted"
        case .protocolViolation: return "protocol violation"
        case .flowControlViolation: return "flow-control violation"
        case .serverShutdown: return "server shutdown"
        case .refused: return "refused"
        case .securityRequired: return "security required"
        case .securityNotConfigured: return "security not configured"
        case .securityModeMismatch: return "security mode mismatch"
        case .applicationIdle: return "application idle"
        case .resourceLimit: return "resource limit"
        default: return "code \(rawValue)"
        }
    }
}

/// A CLOSE frame: the sender is closing the connection.
///
/// Wire layout after the type byte: code (2), reason length (1), reason (UTF-8).
public struct CloseFrame: Hashable, Sendable {
    /// Longest reason, in UTF-8 bytes.
    public static let maximumReasonLength = 200

    /// Why the sender closes.
    public var code: CloseCode
    /// A human-readable explanation (UTF-8, at most ``maximumReasonLength`` bytes; often empty).
    public var reason: String

    /// A CLOSE with `code` and `reason` (at most ``maximumReasonLength`` UTF-8 bytes).
    public init(code: CloseCode, reason: String = "") {
        self.code = code
        self.reason = reason
    }

    static func parse(_ reader: inout ByteReader) throws(WireError) -> CloseFrame {
        let code = CloseCode(rawValue: try reader.readUInt16())
        let length = Int(try reader.readUInt8())
        if length > maximumReasonLength { throw .invalidCloseReason }
        let bytes = try reader.readBytes(length)
        guard let reason = String(validating: bytes, as: UTF8.self) else { throw .invalidCloseReason }
        return CloseFrame(code: code, reason: reason)
    }

    /// The reason's bytes, cut at a character boundary to fit ``maximumReasonLength``.
    var reasonBytes: ArraySlice<UInt8> {
        var utf8 = Array(reason.utf8)
        if utf8.count > Self.maximumReasonLength {
            var end = Self.maximumReasonLength
            while end > 0 && (utf8[end] & 0xC0) == 0x80 { end -= 1 }
            utf8 = Array(utf8[..<end])
        }
        return utf8[...]
    }

    func serialize(into out: inout [UInt8]) {
        let bytes = reasonBytes
        out.appendBigEndian(code.rawValue)
        out.appendBigEndian(UInt8(bytes.count))
        out.append(contentsOf: bytes)
    }

    /// Encoded size including the frame type byte.
    public var encodedSize: Int { 1 + 2 + 1 + reasonBytes.count }
}
