/// A running 64-bit hash of a simulation's events (deterministic, platform-independent).
///
/// Bytes are consumed 8 at a time, little-endian, each word mixed in with a multiply and
/// xor-shift; this is not cryptographic, only a cheap way to tell two runs apart.
struct TraceDigest {
    private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    mutating func mix(_ word: UInt64) {
        value = (value ^ word) &* 0x0000_0100_0000_01B3
        value ^= value >> 29
        value = value &* 0xBF58_476D_1CE4_E5B9
        value ^= value >> 32
    }

    /// A hash of `bytes` alone (length included).
    static func fingerprint(of bytes: [UInt8]) -> UInt64 {
        var digest = TraceDigest()
        digest.mix(UInt64(bytes.count))
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset + 8 <= raw.count {
                digest.mix(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
                offset += 8
            }
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while offset < raw.count {
                tail |= UInt64(raw[offset]) << shift
                shift += 8
                offset += 1
            }
            digest.mix(tail)
        }
        return digest.value
    }
}
