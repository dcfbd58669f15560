import RUDPWire
import Testing

/// The datagram framing of PROTOCOL.md section 3.1: packet plus big-endian CRC-32C trailer.
/// Checks `Specs/vectors/datagrams.json` in both directions, the CRC-32C examples, and that
/// corrupting a sealed datagram by up to three bits is always detected.
@Suite("Datagram framing")
struct DatagramTests {
    static let vectors = DatagramVectors.shared

    @Test("datagram vector", arguments: DatagramVectors.shared.vectors)
    func vector(_ v: TestVector) throws {
        switch v.expectation {
        case .unreadable(let why):
            Issue.record("cannot read vector \(v.name) in \(v.file): \(why)")
        case .packet(let expected):
            // open(hex) == decoded packet
            let opened: Packet
            do {
                opened = try Datagram.open(v.bytes)
            } catch {
                Issue.record("\(v.name): expected a packet, open threw \(error.name): \(error)")
                return
            }
            #expect(opened == expected, "\(v.name): opened packet differs from the decoded fields")
            // seal(serialize(decoded)) == hex
            var bytes = expected.serialized()
            Datagram.seal(&bytes)
            #expect(bytes == v.bytes, "\(v.name): sealed bytes differ: got \(hex(bytes)), expected \(hex(v.bytes))")
            #expect(expected.encodedSize + Datagram.trailerSize == v.bytes.count)
        case .error(let name):
            #expect(WireErrorNames.all.contains(name), "\(v.name): \"\(name)\" is not a WireError name")
            do {
                let packet = try Datagram.open(v.bytes)
                Issue.record("\(v.name): expected error \(name), opened \(packet)")
            } catch {
                #expect(error.name == name, "\(v.name): expected error \(name), got \(error.name): \(error)")
            }
            // With a matching trailer, the error is the packet's own: the same as parsing the packet alone.
            if v.bytes.count >= Packet.headerSize + Datagram.trailerSize, Self.trailerMatches(v.bytes) {
                let body = Array(v.bytes.dropLast(Datagram.trailerSize))
                do {
                    _ = try Packet.parse(body)
                    Issue.record("\(v.name): the trailer matches but the packet parses")
                } catch {
                    #expect(error.name == name, "\(v.name): Packet.parse says \(error.name), the vector says \(name)")
                }
            }
        }
    }

    @Test("CRC-32C example", arguments: DatagramVectors.shared.checksums)
    func checksum(_ c: ChecksumVector) {
        #expect(
            CRC32C.checksum(c.input) == c.checksum,
            "\(c.name): got \(String(CRC32C.checksum(c.input), radix: 16)), expected \(String(c.checksum, radix: 16))")
        // the same bytes at every alignment give the same checksum (the codec reads 8 bytes at a time)
        for shift in 1..<8 {
            let padded = [UInt8](repeating: 0xa5, count: shift) + c.input
            let crc = padded.withUnsafeBytes { raw in
                CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[shift...]))
            }
            #expect(crc == c.checksum, "\(c.name): checksum differs at byte offset \(shift)")
        }
    }

    /// The vector file covers what `Specs/vectors/README.md` promises.
    @Test func coverage() {
        let v = Self.vectors
        #expect(v.problems.isEmpty, "\(v.problems)")
        #expect(Set(v.vectors.map(\.name)).isDisjoint(with: TestVectors.all.map(\.name)), "vector names must be unique across files")
        #expect(Set(v.vectors.map(\.name)).count == v.vectors.count)
        var valid = 0, errors = Set<String>()
        for vector in v.vectors {
            switch vector.expectation {
            case .packet: valid += 1
            case .error(let name): errors.insert(name)
            case .unreadable: break
            }
        }
        #expect(valid >= 6)
        #expect(errors.isSuperset(of: ["checksumMismatch", "truncated", "emptyPacket", "unsupportedVersion", "trailingBytes"]))
        // the two values every CRC-32C implementation is checked against
        #expect(v.checksums.contains { $0.input.isEmpty && $0.checksum == 0 })
        #expect(v.checksums.contains { $0.input == Array("123456789".utf8) && $0.checksum == 0xE306_9283 })
    }

    @Test func sealAppendsTheBigEndianChecksum() throws {
        let packet = Packet(destination: ConnectionID(7), packetNumber: 3, body: .data([.ping]))
        var bytes = packet.serialized()
        let crc = CRC32C.checksum(bytes)
        Datagram.seal(&bytes)
        #expect(Datagram.trailerSize == 4)
        #expect(bytes.count == packet.encodedSize + 4)
        #expect(Array(bytes.suffix(4)) == [UInt8(crc >> 24), UInt8((crc >> 16) & 0xff), UInt8((crc >> 8) & 0xff), UInt8(crc & 0xff)])
        let body = try bytes.withUnsafeBytes { raw throws(WireError) in Array(try Datagram.verify(raw)) }
        #expect(body == packet.serialized())
    }

    @Test func lengthLimits() throws {
        // shorter than header + trailer: truncated, with the missing byte count
        #expect(throws: WireError.truncated(offset: 0, needed: 23)) { try Datagram.open([]) }
        #expect(throws: WireError.truncated(offset: 22, needed: 1)) { try Datagram.open([UInt8](repeating: 1, count: 22)) }
        // longer than the largest UDP payload: oversize, before the checksum is looked at
        let tooBig = [UInt8](repeating: 0, count: Packet.maximumDatagramSize + 1)
        #expect(throws: WireError.oversize(size: Packet.maximumDatagramSize + 1)) { try Datagram.open(tooBig) }
        // the largest datagram: the trailer counts towards the 65,507 bytes
        let payloadSize = Packet.maximumDatagramSize - Packet.headerSize - MessageFrame.overhead - Datagram.trailerSize
        let message = MessageFrame(
            channel: 0, mode: .unreliable, sequence: 0, totalLength: UInt32(payloadSize), offset: 0,
            payload: [UInt8](repeating: 0x5a, count: payloadSize))
        let packet = Packet(destination: ConnectionID(1), packetNumber: 0, body: .data([.message(message)]))
        var bytes = packet.serialized()
        Datagram.seal(&bytes)
        #expect(bytes.count == Packet.maximumDatagramSize)
        #expect(try Datagram.open(bytes) == packet)
    }

    @Test("open(seal(serialize(p))) == p for random valid packets")
    func sealedRoundTrip() {
        let generator = PacketGenerator()
        let failures = SeededCases("sealedRoundTrip", count: 2000, defaultBase: 0x5EED_0000_0101).run { r, _ in
            let packet = generator.packet(&r)
            var bytes = packet.serialized()
            Datagram.seal(&bytes)
            do throws(WireError) {
                let opened = try Datagram.open(bytes)
                return opened == packet ? nil : "opened \(opened), sealed \(packet)"
            } catch {
                return "sealed datagram of \(packet) threw \(error.name): \(error)"
            }
        }
        for f in failures { Issue.record("\(f)") }
    }

    /// CRC-32C has a Hamming distance of at least 4 for messages of up to 2^31 bits, far beyond the
    /// largest datagram, so every 1-, 2- or 3-bit error is detected: the result must be
    /// `checksumMismatch`, never a packet (and never another error, since the length is unchanged and
    /// the trailer is checked first).
    @Test("flipping 1 to 3 bits of a sealed datagram always gives checksumMismatch")
    func bitFlipsAreDetected() {
        var generator = PacketGenerator()
        generator.maximumPayload = 200
        let failures = SeededCases("bitFlips", count: 1500, defaultBase: 0x5EED_0000_0102).run { r, _ in
            let packet = generator.packet(&r)
            var bytes = packet.serialized()
            Datagram.seal(&bytes)
            let bitCount = bytes.count * 8
            var positions = Set<Int>()
            let flips = 1 + r.below(3)
            while positions.count < flips {
                // bias towards the trailer and the header, where a codec bug would hide best
                switch r.below(4) {
                case 0: positions.insert(bitCount - 1 - r.below(32))
                case 1: positions.insert(r.below(Packet.headerSize * 8))
                default: positions.insert(r.below(bitCount))
                }
            }
            for p in positions { bytes[p / 8] ^= UInt8(1 << (p % 8)) }
            return Self.expectMismatch(bytes, "\(packet) with bits \(positions.sorted()) flipped")
        }
        for f in failures { Issue.record("\(f)") }
    }

    /// Every single-bit error of every valid vector, and every two-bit error of the smallest one.
    @Test func exhaustiveFlipsOfTheVectors() {
        var failures: [String] = []
        for v in Self.vectors.vectors {
            guard case .packet = v.expectation else { continue }
            let bits = v.bytes.count * 8
            for i in 0..<bits {
                var bytes = v.bytes
                bytes[i / 8] ^= UInt8(1 << (i % 8))
                if let f = Self.expectMismatch(bytes, "\(v.name) bit \(i)") { failures.append(f) }
                guard v.bytes.count <= 24 else { continue }
                for j in (i + 1)..<bits {
                    var pair = bytes
                    pair[j / 8] ^= UInt8(1 << (j % 8))
                    if let f = Self.expectMismatch(pair, "\(v.name) bits \(i), \(j)") { failures.append(f) }
                }
            }
        }
        #expect(failures.isEmpty, "\(failures.prefix(5))")
    }

    // MARK: helpers

    static func expectMismatch(_ bytes: [UInt8], _ what: String) -> String? {
        do throws(WireError) {
            let packet = try Datagram.open(bytes)
            return "\(what): corruption went undetected, opened \(packet)"
        } catch {
            return error == .checksumMismatch ? nil : "\(what): expected checksumMismatch, got \(error.name): \(error)"
        }
    }

    /// Whether the last four bytes are the big-endian CRC-32C of the rest.
    static func trailerMatches(_ bytes: [UInt8]) -> Bool {
        let body = Array(bytes.dropLast(4))
        let crc = CRC32C.checksum(body)
        return Array(bytes.suffix(4)) == [UInt8(crc >> 24), UInt8((crc >> 16) & 0xff), UInt8((crc >> 8) & 0xff), UInt8(crc & 0xff)]
    }
}
