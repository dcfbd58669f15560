import CSodium

/// SHA-256, incremental, computed by libsodium (`crypto_hash_sha256_*`): feed any number of byte
/// chunks, then take the digest.
///
/// Used by `rudp send` and `rudp recv` to prove a transferred file is intact. libsodium is
/// already linked for the security layer, so nothing above this module imports its C API or
/// carries a hash implementation of its own; the CLI tests check this wrapper against the
/// FIPS 180-4 / NIST example vectors.
///
/// ```swift
/// var hasher = SHA256()
/// hasher.update(Array("ab".utf8))
/// hasher.update(Array("c".utf8))
/// print(SHA256.hexString(hasher.finalize())) // ba7816bf8f01cfea...
/// ```
public struct SHA256: Sendable {
    /// The digest length in bytes.
    public static let digestByteCount = Int(crypto_hash_sha256_BYTES)

    /// Whether `sodium_init` succeeded; read once before the first hash. (The SHA-256 functions
    /// need no initialization, but libsodium asks that `sodium_init` run before any other call.)
    private static let sodiumInitialized: Bool = sodium_init() >= 0

    /// libsodium's running hash state (a plain C struct: copying it copies the hash so far).
    private var state = crypto_hash_sha256_state()

    /// A hasher that has seen no bytes yet.
    public init() {
        _ = Self.sodiumInitialized
        crypto_hash_sha256_init(&state)
    }

    /// The SHA-256 digest of `bytes`, in one call.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// Lower-case hexadecimal text of a digest (or any bytes).
    public static func hexString(_ digest: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(digest.count * 2)
        for byte in digest {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Adds `bytes` to the message being hashed.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Adds the bytes in `buffer` to the message being hashed.
    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        crypto_hash_sha256_update(&state, base.assumingMemoryBound(to: UInt8.self), UInt64(buffer.count))
    }

    /// Pads the message, processes the last block and returns the 32-byte digest.
    ///
    /// The hasher is spent afterwards: make a new one for another message.
    public mutating func finalize() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Self.digestByteCount)
        digest.withUnsafeMutableBufferPointer { out in
            _ = crypto_hash_sha256_final(&state, out.baseAddress!)
        }
        return digest
    }
}
