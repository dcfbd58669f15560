/// Why the security layer refused a key, a datagram, a cookie or an operation.
///
/// Descriptions name files, variables, lengths, positions and packet numbers, never key material
/// or the characters of a key file.
///
/// A struct rather than an enum (swift-nio-ssh's `NIOSSHError` pattern): switch on ``code``
/// with a `default:` branch, so a new kind of refusal in a later version does not break the
/// `switch`; two errors are equal when their codes and details are.
///
/// ```swift
/// do {
///     let (header, payload) = try incoming.open(datagram: bytes)
///     deliver(header, payload)
/// } catch {   // a SecurityError: open(datagram:) throws(SecurityError)
///     statistics.count(error.name)    // "authenticationFailed", "replayed", ...
///     if error.code == .keyExhausted { connection.close() }
/// }
/// ```
public struct SecurityError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of refusal, to switch on (with a `default:` branch: new codes may be added).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case authenticationFailed
            case replayed
            case tooOld
            case truncated
            case oversize
            case invalidPacketNumber
            case checksumMismatch
            case invalidHeader
            case packetNumberNotIncreasing
            case keyExhausted
            case invalidCookie
            case expiredCookie
            case invalidLength
            case missingKey
            case badKeyFile
            case badKeyText
            case insecureKeyFilePermissions
            case unreadableKeyFile
            case keyFileExists
            case unwritableKeyFile
            case sodiumUnavailable
        }

        fileprivate var base: Base

        /// The tag does not match: the datagram was forged, corrupted, or made with another key,
        /// direction or mode.
        public static let authenticationFailed = Code(base: .authenticationFailed)
        /// A datagram with this packet number was already accepted.
        public static let replayed = Code(base: .replayed)
        /// The packet number is older than the replay window covers.
        public static let tooOld = Code(base: .tooOld)
        /// The datagram is shorter than a header and a tag (or CRC trailer).
        public static let truncated = Code(base: .truncated)
        /// The datagram is larger than the largest UDP payload.
        public static let oversize = Code(base: .oversize)
        /// The datagram's packet number field is 2^62 or more.
        public static let invalidPacketNumber = Code(base: .invalidPacketNumber)
        /// The CRC-32C trailer does not match (mode `none`).
        public static let checksumMismatch = Code(base: .checksumMismatch)
        /// The header passed to `seal` is not 19 bytes or does not carry the packet number given.
        public static let invalidHeader = Code(base: .invalidHeader)
        /// `seal` was asked for a packet number not larger than the last one sealed: the nonce
        /// would repeat.
        public static let packetNumberNotIncreasing = Code(base: .packetNumberNotIncreasing)
        /// The packet number reached 2^62: this key is retired and the connection must end.
        public static let keyExhausted = Code(base: .keyExhausted)
        /// A retry cookie that this server did not issue (or issued for another address or ID).
        public static let invalidCookie = Code(base: .invalidCookie)
        /// A retry cookie older than its lifetime (or stamped in the future).
        public static let expiredCookie = Code(base: .expiredCookie)
        /// A handshake random or other fixed-size input has the wrong length.
        public static let invalidLength = Code(base: .invalidLength)
        /// Security was configured without the keys it needs.
        public static let missingKey = Code(base: .missingKey)
        /// The key file exists but its contents are not a key.
        public static let badKeyFile = Code(base: .badKeyFile)
        /// A key given as text (an environment variable) is not a key.
        public static let badKeyText = Code(base: .badKeyText)
        /// The key file can be read or written by group or others.
        public static let insecureKeyFilePermissions = Code(base: .insecureKeyFilePermissions)
        /// The key file cannot be opened or read.
        public static let unreadableKeyFile = Code(base: .unreadableKeyFile)
        /// `keygen` would overwrite an existing file.
        public static let keyFileExists = Code(base: .keyFileExists)
        /// The key file cannot be created or written.
        public static let unwritableKeyFile = Code(base: .unwritableKeyFile)
        /// libsodium failed to initialize.
        public static let sodiumUnavailable = Code(base: .sodiumUnavailable)

        /// The code's stable name, for example `"authenticationFailed"` (the same as ``SecurityError/name``).
        public var description: String { base.rawValue }
    }

    /// The error with its details; internal so that it can grow without breaking users.
    enum Storage: Hashable, Sendable {
        case authenticationFailed
        case replayed(packetNumber: UInt64)
        case tooOld(packetNumber: UInt64)
        case truncated(size: Int, minimum: Int)
        case oversize(size: Int)
        case invalidPacketNumber
        case checksumMismatch
        case invalidHeader(reason: String)
        case packetNumberNotIncreasing(packetNumber: UInt64, lastSealed: UInt64)
        case keyExhausted
        case invalidCookie
        case expiredCookie
        case invalidLength(what: String, expected: Int, actual: Int)
        case missingKey(reason: String)
        case badKeyFile(path: String, reason: String)
        case badKeyText(source: String, reason: String)
        case insecureKeyFilePermissions(path: String, mode: UInt32)
        case unreadableKeyFile(path: String, reason: String)
        case keyFileExists(path: String)
        case unwritableKeyFile(path: String, reason: String)
        case sodiumUnavailable
    }

    /// The error with its details.
    let storage: Storage

    private init(_ storage: Storage) { self.storage = storage }

    /// The tag does not match: the datagram was forged, corrupted, or made with another key,
    /// direction or mode.
    public static let authenticationFailed = SecurityError(.authenticationFailed)
    /// A datagram with packet number `packetNumber` was already accepted.
    public static func replayed(packetNumber: UInt64) -> SecurityError {
        SecurityError(.replayed(packetNumber: packetNumber))
    }
    /// The packet number `packetNumber` is older than the replay window (``ReplayWindow/width``) covers.
    public static func tooOld(packetNumber: UInt64) -> SecurityError {
        SecurityError(.tooOld(packetNumber: packetNumber))
    }
    /// The datagram of `size` bytes is shorter than `minimum`, a header and a tag (or CRC trailer).
    public static func truncated(size: Int, minimum: Int) -> SecurityError {
        SecurityError(.truncated(size: size, minimum: minimum))
    }
    /// The datagram of `size` bytes is larger than the largest UDP payload.
    public static func oversize(size: Int) -> SecurityError {
        SecurityError(.oversize(size: size))
    }
    /// The datagram's packet number field is 2^62 or more.
    public static let invalidPacketNumber = SecurityError(.invalidPacketNumber)
    /// The CRC-32C trailer does not match (mode `none`).
    public static let checksumMismatch = SecurityError(.checksumMismatch)
    /// The header passed to `seal` is not 19 bytes or does not carry the packet number given;
    /// `reason` says which.
    public static func invalidHeader(reason: String) -> SecurityError {
        SecurityError(.invalidHeader(reason: reason))
    }
    /// `seal` was asked for `packetNumber`, not larger than `lastSealed`, the last one sealed:
    /// the nonce would repeat.
    public static func packetNumberNotIncreasing(packetNumber: UInt64, lastSealed: UInt64) -> SecurityError {
        SecurityError(.packetNumberNotIncreasing(packetNumber: packetNumber, lastSealed: lastSealed))
    }
    /// The packet number reached 2^62: this key is retired and the connection must end.
    public static let keyExhausted = SecurityError(.keyExhausted)
    /// A retry cookie that this server did not issue (or issued for another address or ID).
    public static let invalidCookie = SecurityError(.invalidCookie)
    /// A retry cookie older than its lifetime (or stamped in the future).
    public static let expiredCookie = SecurityError(.expiredCookie)
    /// `what` (for example "handshake random") is `actual` bytes long instead of `expected`.
    public static func invalidLength(what: String, expected: Int, actual: Int) -> SecurityError {
        SecurityError(.invalidLength(what: what, expected: expected, actual: actual))
    }
    /// Security was configured without the keys it needs; `reason` says which.
    public static func missingKey(reason: String) -> SecurityError {
        SecurityError(.missingKey(reason: reason))
    }
    /// The key file at `path` exists but its contents are not a key; `reason` says why
    /// (lengths and positions, never the characters).
    public static func badKeyFile(path: String, reason: String) -> SecurityError {
        SecurityError(.badKeyFile(path: path, reason: reason))
    }
    /// A key given as text by `source` (for example "environment variable RUDP_PSK") is not a
    /// key; `reason` says why.
    public static func badKeyText(source: String, reason: String) -> SecurityError {
        SecurityError(.badKeyText(source: source, reason: reason))
    }
    /// The key file at `path` can be read or written by group or others (`mode` is its
    /// permission bits).
    public static func insecureKeyFilePermissions(path: String, mode: UInt32) -> SecurityError {
        SecurityError(.insecureKeyFilePermissions(path: path, mode: mode))
    }
    /// The key file at `path` cannot be opened or read; `reason` is the operating system's message.
    public static func unreadableKeyFile(path: String, reason: String) -> SecurityError {
        SecurityError(.unreadableKeyFile(path: path, reason: reason))
    }
    /// `keygen` would overwrite the existing file at `path`.
    public static func keyFileExists(path: String) -> SecurityError {
        SecurityError(.keyFileExists(path: path))
    }
    /// The key file at `path` cannot be created or written; `reason` is the operating system's message.
    public static func unwritableKeyFile(path: String, reason: String) -> SecurityError {
        SecurityError(.unwritableKeyFile(path: path, reason: reason))
    }
    /// libsodium failed to initialize.
    public static let sodiumUnavailable = SecurityError(.sodiumUnavailable)

    /// The kind of error, to switch on (with a `default:` branch: new codes may be added).
    public var code: Code {
        switch storage {
        case .authenticationFailed: return .authenticationFailed
        case .replayed: return .replayed
        case .tooOld: return .tooOld
        case .truncated: return .truncated
        case .oversize: return .oversize
        case .invalidPacketNumber: return .invalidPacketNumber
        case .checksumMismatch: return .checksumMismatch
        case .invalidHeader: return .invalidHeader
        case .packetNumberNotIncreasing: return .packetNumberNotIncreasing
        case .keyExhausted: return .keyExhausted
        case .invalidCookie: return .invalidCookie
        case .expiredCookie: return .expiredCookie
        case .invalidLength: return .invalidLength
        case .missingKey: return .missingKey
        case .badKeyFile: return .badKeyFile
        case .badKeyText: return .badKeyText
        case .insecureKeyFilePermissions: return .insecureKeyFilePermissions
        case .unreadableKeyFile: return .unreadableKeyFile
        case .keyFileExists: return .keyFileExists
        case .unwritableKeyFile: return .unwritableKeyFile
        case .sodiumUnavailable: return .sodiumUnavailable
        }
    }

    /// A stable, short identifier of the kind of error (``Code/description``), for example
    /// `"authenticationFailed"`: used by the test vectors and as a counter label.
    public var name: String { code.description }

    /// For ``Code/replayed``, ``Code/tooOld`` and ``Code/packetNumberNotIncreasing``: the packet
    /// number refused; otherwise nil.
    public var packetNumber: UInt64? {
        switch storage {
        case let .replayed(pn), let .tooOld(pn), let .packetNumberNotIncreasing(pn, _): return pn
        default: return nil
        }
    }

    /// For the key-file codes (``Code/badKeyFile``, ``Code/insecureKeyFilePermissions``,
    /// ``Code/unreadableKeyFile``, ``Code/keyFileExists``, ``Code/unwritableKeyFile``): the
    /// file's path; otherwise nil.
    public var path: String? {
        switch storage {
        case let .badKeyFile(path, _), let .insecureKeyFilePermissions(path, _), let .unreadableKeyFile(path, _),
            let .keyFileExists(path), let .unwritableKeyFile(path, _):
            return path
        default: return nil
        }
    }

    /// What was refused and why, in words, for example
    /// "packet number 7 was already received (replay)". Never contains key material.
    public var description: String {
        switch storage {
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
