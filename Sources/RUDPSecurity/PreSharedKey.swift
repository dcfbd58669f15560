#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The 32-byte key both endpoints share before they talk; every connection's session keys are
/// derived from it (`Specs/SECURITY.md`).
///
/// Stored as a key file of 64 hex digits and a newline, readable by its owner only, as written by
/// `rudp keygen`; or passed as the same 64 hex digits in the `RUDP_PSK` environment variable.
/// The bytes live in a ``SecretKey``: wiped when the last copy is released, never printed.
///
/// ```swift
/// let psk = try PreSharedKey(contentsOfFile: "rudp.key")      // or:
/// let fromEnvironment = try PreSharedKey.fromEnvironment()     // nil when RUDP_PSK is unset
/// let fresh = try PreSharedKey.generate()
/// try fresh.write(toFile: "new.key", replacingExisting: false)
/// ```
public struct PreSharedKey: Sendable, Equatable, CustomStringConvertible {
    /// The environment variable the command-line tool reads a key from.
    public static let environmentVariable = "RUDP_PSK"
    /// Number of hex digits in the text form.
    public static let hexDigitCount = 2 * SecretKey.byteCount
    /// Key files larger than this are refused without being read.
    static let maximumFileSize = 4096

    /// The key bytes.
    let secret: SecretKey

    init(secret: SecretKey) {
        self.secret = secret
    }

    /// A new random key from the operating system's secure random source (`randombytes_buf`).
    public static func generate() throws(SecurityError) -> PreSharedKey {
        try Sodium.ensureInitialized()
        return PreSharedKey(secret: .random())
    }

    /// Parses 64 hex digits (either case), optionally followed by one newline. `source` names
    /// where the text came from, for the error message (for example "environment variable RUDP_PSK").
    /// The parser's copy of the text is wiped; the caller's `String` cannot be.
    public init(hexEncoded text: String, source: String) throws(SecurityError) {
        try Sodium.ensureInitialized()
        var bytes = Array(text.utf8)
        defer { Sodium.wipe(&bytes) }
        let result = bytes.withUnsafeBytes { Self.parse($0) }
        switch result {
        case .success(let key): secret = key
        case .failure(let reason): throw .badKeyText(source: source, reason: reason.text)
        }
    }

    /// The key for a command: read from `file` when one is given (`--psk-file PATH`), otherwise
    /// from the environment variable `name` (default `RUDP_PSK`); nil when neither is set.
    public static func load(file: String?, environmentVariable name: String = environmentVariable) throws(SecurityError) -> PreSharedKey? {
        if let file { return try PreSharedKey(contentsOfFile: file) }
        return try fromEnvironment(name)
    }

    /// Reads the key from the environment variable `name` (default `RUDP_PSK`); nil when it is not
    /// set. (The environment's copy of the text cannot be wiped; a key file is the safer choice.)
    public static func fromEnvironment(_ name: String = environmentVariable) throws(SecurityError) -> PreSharedKey? {
        guard let value = getenv(name) else { return nil }
        return try PreSharedKey(hexEncoded: String(cString: value), source: "environment variable \(name)")
    }

    /// Reads a key file: 64 hex digits and a newline, as written by `rudp keygen`.
    ///
    /// Refuses a file that group or others may access (`chmod 600` fixes it), that is not a
    /// regular file, or that holds anything but the key.
    public init(contentsOfFile path: String) throws(SecurityError) {
        try Sodium.ensureInitialized()
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .unreadableKeyFile(path: path, reason: Self.systemError()) }
        defer { _ = close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .unreadableKeyFile(path: path, reason: Self.systemError()) }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw .badKeyFile(path: path, reason: "not a regular file") }
        let mode = UInt32(status.st_mode)
        guard mode & 0o077 == 0 else { throw .insecureKeyFilePermissions(path: path, mode: mode) }
        guard status.st_size <= Self.maximumFileSize else {
            throw .badKeyFile(path: path, reason: "the file is \(status.st_size) bytes long")
        }
        // Read one byte more than a valid file can hold, so that a longer file is noticed.
        var buffer = [UInt8](repeating: 0, count: Self.maximumFileSize + 1)
        defer { Sodium.wipe(&buffer) }
        var count = 0
        while count < buffer.count {
            let read = buffer.withUnsafeMutableBytes { raw in
                Glibc.read(descriptor, raw.baseAddress! + count, raw.count - count)
            }
            if read == 0 { break }
            if read < 0 {
                if errno == EINTR { continue }
                throw .unreadableKeyFile(path: path, reason: Self.systemError())
            }
            count += read
        }
        let result = buffer.withUnsafeBytes { Self.parse(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        switch result {
        case .success(let key): secret = key
        case .failure(let reason): throw .badKeyFile(path: path, reason: reason.text)
        }
    }

    /// Writes the key as a new key file (64 lowercase hex digits and a newline) with mode 0600.
    ///
    /// The file is created with `O_CREAT | O_EXCL` so that an existing file is never opened;
    /// with `replacingExisting` an existing file (not a directory) is removed first.
    public func write(toFile path: String, replacingExisting: Bool) throws(SecurityError) {
        if replacingExisting {
            var status = stat()
            if lstat(path, &status) == 0 {
                if (status.st_mode & S_IFMT) == S_IFDIR {
                    throw .unwritableKeyFile(path: path, reason: "it is a directory")
                }
                if unlink(path) != 0 { throw .unwritableKeyFile(path: path, reason: Self.systemError()) }
            }
        }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            if errno == EEXIST { throw .keyFileExists(path: path) }
            throw .unwritableKeyFile(path: path, reason: Self.systemError())
        }
        var text = hexText()
        defer { Sodium.wipe(&text) }
        var failure: String?
        var offset = 0
        while offset < text.count {
            let written = text.withUnsafeBytes { raw in Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                failure = Self.systemError()
                break
            }
            offset += written
        }
        if failure == nil, fsync(descriptor) != 0 { failure = Self.systemError() }
        if close(descriptor) != 0, failure == nil { failure = Self.systemError() }
        if let failure {
            _ = unlink(path)
            throw .unwritableKeyFile(path: path, reason: failure)
        }
    }

    /// The key file contents: 64 lowercase hex digits and a newline. Wipe it after use.
    func hexText() -> [UInt8] {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(Self.hexDigitCount + 1)
        secret.withUnsafeBytes { key in
            for byte in key {
                text.append(digits[Int(byte >> 4)])
                text.append(digits[Int(byte & 0x0f)])
            }
        }
        text.append(UInt8(ascii: "\n"))
        return text
    }

    /// Constant-time comparison of the key bytes.
    public static func == (lhs: PreSharedKey, rhs: PreSharedKey) -> Bool {
        lhs.secret == rhs.secret
    }

    /// Always `PreSharedKey(<redacted>)`: a key never appears in a description or log line.
    public var description: String { "PreSharedKey(<redacted>)" }

    /// Why text is not a key; never quotes the text.
    struct ParseFailure: Error {
        var text: String
    }

    /// Parses 64 hex digits, optionally followed by a single `\n`.
    static func parse(_ text: UnsafeRawBufferPointer) -> Result<SecretKey, ParseFailure> {
        var length = text.count
        if length > 0 && text[length - 1] == UInt8(ascii: "\n") { length -= 1 }
        guard length == hexDigitCount else {
            let what = length == text.count ? "\(length) characters" : "\(length) characters before the newline"
            return .failure(ParseFailure(text: "found \(what)"))
        }
        var badPosition: Int?
        let key = SecretKey { out in
            for i in 0..<SecretKey.byteCount {
                let high = hexValue(text[2 * i]), low = hexValue(text[2 * i + 1])
                if high < 0 || low < 0 {
                    if badPosition == nil { badPosition = high < 0 ? 2 * i + 1 : 2 * i + 2 }
                    continue
                }
                out[i] = UInt8(high << 4 | low)
            }
        }
        if let badPosition {
            return .failure(ParseFailure(text: "character \(badPosition) is not a hex digit"))
        }
        return .success(key)
    }

    /// The value of a hex digit, or -1.
    private static func hexValue(_ c: UInt8) -> Int {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(c - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return Int(c - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return Int(c - UInt8(ascii: "A")) + 10
        default: return -1
        }
    }

    private static func systemError() -> String {
        String(cString: strerror(errno))
    }
}
