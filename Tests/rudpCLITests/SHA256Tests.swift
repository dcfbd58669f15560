import RUDPCore
import RUDPSecurity
import Testing

/// The SHA-256 of `rudp send` / `recv` (`RUDPSecurity.SHA256`, libsodium's `crypto_hash_sha256`) against the FIPS 180-4 / NIST CAVP
/// example vectors, and incremental hashing in uneven pieces against one-shot hashing.
@Suite struct SHA256Tests {
    /// The SHA-256 of `bytes` as lower-case hex, for other tests.
    static func hexDigest(_ bytes: [UInt8]) -> String {
        SHA256.hexString(SHA256.hash(bytes))
    }

    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
        (
            "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
        ),
        ("The quick brown fox jumps over the lazy dog", "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592"),
    ])
    func knownVectors(message: String, expectedHex: String) {
        #expect(SHA256.hexString(SHA256.hash(Array(message.utf8))) == expectedHex)
    }

    @Test func oneMillionLetterA() {
        var hasher = SHA256()
        let thousand = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { hasher.update(thousand) }
        #expect(SHA256.hexString(hasher.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func paddingBoundaries() {
        // 55, 56, 63 and 64 bytes straddle the length field and block boundaries.
        #expect(
            SHA256.hexString(SHA256.hash([UInt8](repeating: 0x61, count: 55)))
                == "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318")
        #expect(
            SHA256.hexString(SHA256.hash([UInt8](repeating: 0x61, count: 56)))
                == "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a")
        #expect(
            SHA256.hexString(SHA256.hash([UInt8](repeating: 0x61, count: 64)))
                == "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb")
    }

    @Test func incrementalUpdatesMatchOneShot() {
        var generator = SystemRandomNumberGenerator()
        let seed = UInt64.random(in: 0...UInt64.max, using: &generator)
        var rng = SeededGenerator(seed: seed)
        let message = (0..<10_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let expected = SHA256.hash(message)
        var hasher = SHA256()
        var offset = 0
        while offset < message.count {
            let length = min(Int(rng.next() % 200), message.count - offset)
            hasher.update(Array(message[offset..<(offset + length)]))
            offset += length
        }
        #expect(hasher.finalize() == expected, "seed \(seed)")
    }
}
