/// Why the security layer refused a key, a datagram, a cookie or an operation.
///
/// Descriptions name files, variables, lengths, positions and packet numbers, never key material
/// or the characters of a key file.
///
/// ```swift
/// do {
///     let (header, payload) = try incoming.open(datagram: bytes)
/// } catch {
///     statistics.count(error.name)    // "authenticationFailed", "replayed", ...
/// }
/// ```
public enum SecurityError: Error, Hashable, Sendable, CustomStringConvertible {
    // MARK: packets

    /// The tag does not match: the datagram was forged, corrupted, or made with another key,
    /// direction or mode.
    case authenticationFailed
    /// A datagram with this packet number was already accepted.
    case replayed(packetNumber: UInt64)
    /// The packet number is older than the replay window covers.
    case tooOld(packetNumber: UInt64)
    /// The datagram is shorter than a header and a tag (or CRC trailer).
    case truncated(size: Int, minimum: Int)
    /// The datagram is larger than the largest UDP payload.
    case oversize(size: Int)
    /// The datagram's packet number field is 2^62 or more.
    case invalidPacketNumber
    /// The CRC-32C trailer does not match (mode `none`).
    case checksumMismatch
    /// The header passed to `seal` is not 19 bytes or does not carry the packet number given.
    case invalidHeader(reason: String)
    /// `seal` was asked for a packet number not larger than the last one sealed: the nonce
    /// would repeat.
    case packetNumberNotIncreasing(packetNumber: UInt64, lastSealed: UInt64)
    /// The packet number reached 2^62: this key is retired and the connection must end.
    case keyExhausted

    // MARK: handshake

    /// A retry cookie that this server did not issue (or issued for another address or ID).
    case invalidCookie
    /// A retry cookie older than its lifetime (or stamped in the future).
    case expiredCookie
    /// A handshake random or other fixed-size input has the wrong length.
    case invalidLength(what: String, expected: Int, actual: Int)
    /// Security was configured without the keys it needs.
    case missingKey(reason: String)

    // MARK: keys

    /// The key file exists but its contents are not a key.
    case badKeyFile(path: String, reason: String)
    /// A key given as text (an environment variable) is not a key.
    case badKeyText(source: String, reason: String)
    /// The key file can be read or written by group or others.
    case insecureKeyFilePermissions(path: String, mode: UInt32)
    /// The key file cannot be opened or read.
    case unreadableKeyFile(path: String, reason: String)
    /// `keygen` would overwrite an existing file.
    case keyFileExists(path: String)
    /// The key file cannot be created or written.
    case unwritableKeyFile(path: String, reason: String)
    /// libsodium failed to initialize.
    case sodiumUnavailable

    /// A stable identifier of the case, used by test vectors and counters.
    public var name: String {
        switch self {
        case .authenticationFailed: return "authenticationFailed"
        case .replayed: return "replayed"
        case .tooOld: return "tooOld"
        case .truncated: return "truncated"
        case .oversize: return "oversize"
        case .invalidPacketNumber: return "invalidPacketNumber"
        case .checksumMismatch: return "checksumMismatch"
        case .invalidHeader: return "invalidHeader"
        case .packetNumberNotIncreasing: return "packetNumberNotIncreasing"
        case .keyExhausted: return "keyExhausted"
        case .invalidCookie: return "invalidCookie"
        case .expiredCookie: return "expiredCookie"
        case .invalidLength: return "invalidLength"
        case .missingKey: return "missingKey"
        case .badKeyFile: return "badKeyFile"
        case .badKeyText: return "badKeyText"
        case .insecureKeyFilePermissions: return "insecureKeyFilePermissions"
        case .unreadableKeyFile: return "unreadableKeyFile"
        case .keyFileExists: return "keyFileExists"
        case .unwritableKeyFile: return "unwritableKeyFile"
        case .sodiumUnavailable: return "sodiumUnavailable"
        }
    }

    public var description: String {
        switch self {
        case .authenticationFailed:
            return "packet authentication failed (forged, corrupted, or made with a different key or security mode)"
        case .replayed(let pn):
            return "packet number \(pn) was already received (replay)"
        case .tooOld(let pn):
            return "packet number \(pn) is older than the replay window of \(ReplayWindow.width) packets"
        case .truncated(let size, let minimum):
            return "datagram of \(size) bytes is shorter than the minimum of \(minimum)"
        case .oversize(let size):
            return "datagram of \(size) bytes exceeds the UDP maximum"
        case .invalidPacketNumber:
            return "packet number field is 2^62 or more"
        case .checksumMismatch:
            return "CRC-32C trailer does not match"
        case .invalidHeader(let reason):
            return "invalid header for sealing: \(reason)"
        case .packetNumberNotIncreasing(let pn, let last):
            return "refusing to seal packet number \(pn): not larger than the last sealed \(last) (nonce reuse)"
        case .keyExhausted:
            return "packet numbers reached 2^62: the session key is retired and the connection must end"
        case .invalidCookie:
            return "retry cookie is not valid for this address and connection ID"
        case .expiredCookie:
            return "retry cookie has expired"
        case .invalidLength(let what, let expected, let actual):
            return "\(what) must be \(expected) bytes, got \(actual)"
        case .missingKey(let reason):
            return "missing key: \(reason)"
        case .badKeyFile(let path, let reason):
            return "key file '\(path)' is not a valid key: \(reason) (expected 64 hex digits and a newline, as written by `rudp keygen`)"
        case .badKeyText(let source, let reason):
            return "\(source) is not a valid key: \(reason) (expected 64 hex digits, as written by `rudp keygen`)"
        case .insecureKeyFilePermissions(let path, let mode):
            return "key file '\(path)' is accessible by group or others (mode \(String(mode & 0o777, radix: 8))); run `chmod 600 \(path)`"
        case .unreadableKeyFile(let path, let reason):
            return "cannot read key file '\(path)': \(reason)"
        case .keyFileExists(let path):
            return "'\(path)' already exists; refusing to overwrite it (use --force to replace it)"
        case .unwritableKeyFile(let path, let reason):
            return "cannot write key file '\(path)': \(reason)"
        case .sodiumUnavailable:
            return "libsodium could not be initialized"
        }
    }
}
