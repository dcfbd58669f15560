import CSodium

/// A MAC for handshake packets: HMAC-SHA-512-256 (`crypto_auth`) truncated to 16 bytes. It needs
/// no nonce, so it is safe with a key used by many connections (``KeySchedule/connectKey(psk:)``)
/// as well as with ``SessionKeys/handshake``.
///
/// ```swift
/// let authenticator = HandshakeAuthenticator(key: try KeySchedule.connectKey(psk: psk))
/// let tag = authenticator.tag(connectBytes)                     // 16 bytes
/// guard authenticator.isValid(tag: tag, for: connectBytes) else { return }   // drop it
/// ```
public struct HandshakeAuthenticator: Sendable {
    /// Size of a tag in bytes.
    public static let tagSize = 16

    private let key: SecretKey

    /// An authenticator using `key`.
    public init(key: SecretKey) {
        self.key = key
    }

    /// The 16-byte tag of `message`.
    public func tag(_ message: [UInt8]) -> [UInt8] {
        message.withUnsafeBytes { tag($0) }
    }

    /// The 16-byte tag of `message`.
    public func tag(_ message: UnsafeRawBufferPointer) -> [UInt8] {
        var full = [UInt8](repeating: 0, count: Int(crypto_auth_BYTES))
        full.withUnsafeMutableBytes { out in
            Self.authenticate(out, message, key)
        }
        return Array(full.prefix(Self.tagSize))
    }

    /// Whether `tag` is the tag of `message` (constant-time comparison).
    public func isValid(tag: [UInt8], for message: [UInt8]) -> Bool {
        guard tag.count == Self.tagSize else { return false }
        let expected = self.tag(message)
        return expected.withUnsafeBytes { a in tag.withUnsafeBytes { b in Sodium.constantTimeEqual(a, b) } }
    }

    /// `crypto_auth(out, message, key)`; `out` holds `crypto_auth_BYTES` bytes.
    static func authenticate(_ out: UnsafeMutableRawBufferPointer, _ message: UnsafeRawBufferPointer, _ key: SecretKey) {
        precondition(out.count == Int(crypto_auth_BYTES))
        // A dummy byte stands in for the empty message's missing base address.
        var empty: UInt8 = 0
        withUnsafePointer(to: &empty) { emptyPointer in
            let input = message.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? emptyPointer
            _ = crypto_auth(out.baseAddress!.assumingMemoryBound(to: UInt8.self), input, UInt64(message.count), key.unsafePointer)
        }
    }
}
