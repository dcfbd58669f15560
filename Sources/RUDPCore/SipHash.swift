/// SipHash-2-4, the keyed pseudorandom function of Aumasson and Bernstein ("SipHash: a fast
/// short-input PRF", INDOCRYPT 2012): 2 compression rounds per 8-byte block, 4 finalization
/// rounds, a 128-bit key and a 64-bit output.
///
/// The engine uses it as the MAC of the plain-mode retry cookie (``PlainRetryCookie``), so that
/// cookies need no cryptographic library. It is not used for routing.
///
/// The key is 16 bytes; as in the paper, `k0` is its first 8 bytes and `k1` its last 8, each read
/// little-endian. The output is a 64-bit integer whose little-endian bytes are the 8 output bytes
/// the paper's reference implementation writes.
///
/// ```swift
/// let key = SipHash(key: Array(0..<16))
/// key.hash(Array(0..<15)) == 0xa129_ca61_49be_45e5   // the paper's appendix A
/// ```
public struct SipHash: Sendable, Hashable {
    /// Size of the key in bytes.
    public static let keySize = 16

    /// The first 8 key bytes, little-endian.
    public let k0: UInt64
    /// The last 8 key bytes, little-endian.
    public let k1: UInt64

    /// A key from its two halves.
    public init(k0: UInt64, k1: UInt64) {
        self.k0 = k0
        self.k1 = k1
    }

    /// A key from 16 bytes (`k0` = bytes 0..<8, `k1` = bytes 8..<16, little-endian). Returns nil
    /// for any other length.
    public init?(key bytes: [UInt8]) {
        guard bytes.count == Self.keySize else { return nil }
        var k0: UInt64 = 0, k1: UInt64 = 0
        for i in 0..<8 {
            k0 |= UInt64(bytes[i]) << (8 * UInt64(i))
            k1 |= UInt64(bytes[8 + i]) << (8 * UInt64(i))
        }
        self.init(k0: k0, k1: k1)
    }

    /// The 16 key bytes.
    public var keyBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Self.keySize)
        for half in [k0, k1] {
            for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: half >> (8 * UInt64(i)))) }
        }
        return out
    }

    /// SipHash-2-4 of `message` under this key.
    public func hash(_ message: [UInt8]) -> UInt64 {
        var v0: UInt64 = 0x736f_6d65_7073_6575 ^ k0
        var v1: UInt64 = 0x646f_7261_6e64_6f6d ^ k1
        var v2: UInt64 = 0x6c79_6765_6e65_7261 ^ k0
        var v3: UInt64 = 0x7465_6462_7974_6573 ^ k1

        @inline(__always) func round() {
            v0 &+= v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
            v2 &+= v3; v3 = rotl(v3, 16); v3 ^= v2
            v0 &+= v3; v3 = rotl(v3, 21); v3 ^= v0
            v2 &+= v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
        }

        let count = message.count
        let whole = count - count % 8
        var i = 0
        while i < whole {
            var m: UInt64 = 0
            for j in 0..<8 { m |= UInt64(message[i + j]) << (8 * UInt64(j)) }
            v3 ^= m
            round(); round()
            v0 ^= m
            i += 8
        }
        // last block: the remaining bytes, and the message length (mod 256) in the top byte
        var last = UInt64(truncatingIfNeeded: count) << 56
        for j in 0..<(count - whole) { last |= UInt64(message[whole + j]) << (8 * UInt64(j)) }
        v3 ^= last
        round(); round()
        v0 ^= last

        v2 ^= 0xff
        round(); round(); round(); round()
        return v0 ^ v1 ^ v2 ^ v3
    }

    @inline(__always) private func rotl(_ x: UInt64, _ b: UInt64) -> UInt64 {
        (x << b) | (x >> (64 - b))
    }
}
