import Testing

@testable import RUDPWire

/// The CPU's CRC-32C instruction (when `CRC32C.usesHardware`) and the portable tables must agree
/// on every length and alignment: the datagram trailer is checked by whichever the peer's CPU has.
@Suite struct CRC32CTests {
    @Test func hardwareAndTablesAgreeOnEveryLengthAndAlignment() {
        let seed: UInt64 = 0xC3C3_2026
        var random = TestRandom(seed: seed)
        let buffer = (0..<(1300 + 8)).map { _ in UInt8.random(in: 0...255, using: &random) }
        buffer.withUnsafeBytes { raw in
            for offset in 0..<8 {
                for length in Array(0...80) + [511, 512, 513, 1199, 1200, 1300] {
                    let slice = UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + length)])
                    let fast = CRC32C.checksum(slice)
                    let portable = CRC32C.softwareChecksum(slice)
                    #expect(fast == portable, "length \(length) at offset \(offset) (seed \(seed), hardware \(CRC32C.usesHardware))")
                }
            }
        }
    }

    @Test func theCheckValueOfTheCatalogue() {
        // "123456789" -> 0xE3069283 (the CRC catalogue's check value for CRC-32/ISCSI)
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(Array("123456789".utf8).withUnsafeBytes { CRC32C.softwareChecksum($0) } == 0xE306_9283)
    }
}
