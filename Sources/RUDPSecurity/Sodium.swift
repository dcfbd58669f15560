import CSodium

/// The one-time libsodium initialization (`sodium_init`), done lazily and thread-safely by the
/// first type that needs it (key loading and generation, key derivation, cookies).
enum Sodium {
    /// Whether `sodium_init` succeeded (it returns 0 the first time, 1 afterwards, -1 on failure).
    /// Reading it the first time initializes libsodium.
    static let initialized: Bool = sodium_init() >= 0

    /// Initializes libsodium if needed; throws if it cannot be initialized.
    static func ensureInitialized() throws(SecurityError) {
        if !initialized { throw .sodiumUnavailable }
    }

    /// Fills `count` bytes at `pointer` from the operating system's secure random source.
    static func randomBytes(_ pointer: UnsafeMutableRawPointer, count: Int) {
        randombytes_buf(pointer, count)
    }

    /// Overwrites `count` bytes at `pointer` with zeros in a way the compiler cannot remove.
    static func wipe(_ pointer: UnsafeMutableRawPointer, count: Int) {
        sodium_memzero(pointer, count)
    }

    /// Overwrites every byte of `bytes` with zeros in a way the compiler cannot remove.
    static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { raw in
            if let base = raw.baseAddress { sodium_memzero(base, raw.count) }
        }
    }

    /// Compares two equally long byte ranges in constant time.
    static func constantTimeEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        if a.count == 0 { return true }
        return sodium_memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0
    }
}
