/// A 32-byte random value each side contributes to the key schedule: the client's travels in
/// CONNECT, the server's in ACCEPT. Not secret; it makes every connection's keys different.
///
/// ```swift
/// let clientRandom = try HandshakeRandom.generate()        // secure random (randombytes_buf)
/// let parsed = try HandshakeRandom(bytes: receivedBytes)    // 32 bytes from the peer
/// ```
public struct HandshakeRandom: Hashable, Sendable, CustomStringConvertible {
    /// Size in bytes.
    public static let byteCount = 32

    /// The 32 bytes.
    public let bytes: [UInt8]

    /// Wraps 32 bytes received from the peer; any other length is an error.
    public init(bytes: [UInt8]) throws(SecurityError) {
        guard bytes.count == Self.byteCount else {
            throw .invalidLength(what: "handshake random", expected: Self.byteCount, actual: bytes.count)
        }
        self.bytes = bytes
    }

    /// A new value from the operating system's secure random source. Use this outside tests.
    public static func generate() throws(SecurityError) -> HandshakeRandom {
        try Sodium.ensureInitialized()
        var bytes = [UInt8](repeating: 0, count: byteCount)
        bytes.withUnsafeMutableBytes { Sodium.randomBytes($0.baseAddress!, count: $0.count) }
        return try HandshakeRandom(bytes: bytes)
    }

    /// A value drawn from `generator`: for deterministic simulations and tests only, since a
    /// seeded generator is predictable.
    public init(using generator: inout some RandomNumberGenerator) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.byteCount)
        for _ in 0..<(Self.byteCount / 8) {
            let word = generator.next()
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        self.bytes = bytes
    }

    /// The 32 bytes as 64 lowercase hexadecimal digits (a handshake random is not secret).
    public var description: String {
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0f)]] })
    }
}
