import RUDPWire

/// A running 64-bit hash of a simulation's events (deterministic, platform-independent).
///
/// Words are mixed in with a multiply and xor-shift; this is not cryptographic, only a cheap way
/// to tell two runs apart.
struct TraceDigest {
    private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    @inline(__always)
    mutating func mix(_ word: UInt64) {
        value = (value ^ word) &* 0x0000_0100_0000_01B3
        value ^= value >> 29
        value = value &* 0xBF58_476D_1CE4_E5B9
        value ^= value >> 32
    }

    /// A hash of `bytes` alone: their length, CRC-32C and last 8 bytes. CRC-32C is the engine's
    /// checksum, computed with the CPU's CRC instruction where there is one and in software
    /// otherwise, with the same result; hashing every 8-byte word instead cost four times as
    /// much (a sixth of a simulation). The last bytes are mixed in on their own because a plain
    /// datagram ends with the CRC-32C of the rest: the CRC of the whole is then a function of
    /// that trailer that maps many trailers to one value, while the trailer itself says
    /// everything the CRC knows.
    static func fingerprint(of bytes: UnsafeRawBufferPointer) -> UInt64 {
        var digest = TraceDigest()
        digest.mix(UInt64(bytes.count))
        digest.mix(UInt64(CRC32C.checksum(bytes)))
        var tail: UInt64 = 0
        if bytes.count >= 8 {
            tail = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: bytes.count - 8, as: UInt64.self))
        } else {
            for byte in bytes { tail = tail << 8 | UInt64(byte) }
        }
        digest.mix(tail)
        return digest.value
    }

    /// A hash of `bytes` alone (see ``fingerprint(of:)-(UnsafeRawBufferPointer)``).
    static func fingerprint(of bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBytes { fingerprint(of: $0) }
    }
}
