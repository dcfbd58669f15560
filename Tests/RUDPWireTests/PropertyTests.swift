import RUDPWire
import Testing

/// Seeded property tests: round trips of random valid packets, and robustness against mutated,
/// truncated and random input. Every failure names the seed that replays it (see ``SeededCases``).
@Suite("Wire properties")
struct PropertyTests {
    static let generator = PacketGenerator()

    @Test("parse(serialize(p)) == p for random valid packets")
    func roundTrip() {
        let failures = SeededCases("roundTrip", count: 5000, defaultBase: 0x5EED_0000_0001).run { r, _ in
            Self.checkRoundTrip(Self.generator.packet(&r))
        }
        for f in failures { Issue.record("\(f)") }
    }

    @Test("round trip with large messages and many frames")
    func roundTripLarge() {
        var generator = PacketGenerator()
        generator.maximumPayload = 4000
        generator.maximumFrames = 16
        let failures = SeededCases("roundTripLarge", count: 200, defaultBase: 0x5EED_0000_0002).run { r, _ in
            Self.checkRoundTrip(generator.packet(&r))
        }
        for f in failures { Issue.record("\(f)") }
    }

    @Test("every strict prefix of a valid packet is truncated, empty, or a packet with the leading frames")
    func prefixes() {
        var generator = PacketGenerator()
        generator.maximumPayload = 24
        generator.maximumFrames = 5
        let failures = SeededCases("prefixes", count: 300, defaultBase: 0x5EED_0000_0003).run { r, _ in
            let packet = generator.packet(&r)
            let bytes = packet.serialized()
            // DATA packets may end after any whole frame
            var boundaries: [Int: Int] = [:]  // prefix length -> number of whole frames
            var frames: [Frame] = []
            if case .data(let fs) = packet.body {
                frames = fs
                var end = Packet.headerSize
                for (i, f) in fs.enumerated() {
                    end += f.encodedSize
                    boundaries[end] = i + 1
                }
            }
            for n in 0..<bytes.count {
                let prefix = Array(bytes[..<n])
                do throws(WireError) {
                    let parsed = try Packet.parse(prefix)
                    guard let k = boundaries[n] else { return "prefix of \(n) bytes parsed: \(parsed)" }
                    let expected = Packet(
                        destination: packet.destination, packetNumber: packet.packetNumber,
                        body: .data(Array(frames[..<k])))
                    if parsed != expected { return "prefix of \(n) bytes parsed to \(parsed), expected \(expected)" }
                } catch {
                    let expected = (n == Packet.headerSize && packet.type == .data) ? "emptyPacket" : "truncated"
                    if boundaries[n] != nil || error.name != expected {
                        return
                            "prefix of \(n) bytes threw \(error.name) (\(error)), expected \(boundaries[n] == nil ? expected : "a packet")"
                    }
                }
            }
            return nil
        }
        for f in failures { Issue.record("\(f)") }
    }

    @Test("mutated packets throw a WireError or parse canonically")
    func mutations() {
        var generator = PacketGenerator()
        generator.maximumPayload = 40
        generator.maximumFrames = 6
        var parsedCount = 0
        let failures = SeededCases("mutations", count: 20_000, defaultBase: 0x5EED_0000_0004).run { r, _ in
            var bytes = generator.packet(&r).serialized()
            for _ in 0..<(1 + r.below(3)) { Self.mutate(&bytes, &r) }
            let (failure, parsed) = Self.checkArbitraryInput(bytes)
            if parsed { parsedCount += 1 }
            return failure
        }
        for f in failures { Issue.record("\(f)") }
        // the mutations must leave some packets valid, or the canonical-encoding check never runs
        #expect(parsedCount > 1000, "only \(parsedCount) mutants parsed")
    }

    @Test("random bytes throw a WireError or parse canonically")
    func randomBytes() {
        var parsedCount = 0
        let failures = SeededCases("randomBytes", count: 20_000, defaultBase: 0x5EED_0000_0005).run { r, _ in
            var bytes: [UInt8]
            switch r.below(4) {
            case 0:
                bytes = r.bytes(r.below(48))
            case 1:
                // a plausible header, then bytes biased towards frame types, zero and boundary values
                bytes = Self.plausibleHeader(&r)
                for _ in 0..<r.below(120) {
                    bytes.append(r.chance(50) ? r.pick([0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x3f, 0x40, 0xff]) : r.byte())
                }
            default:
                // a plausible header, then frames whose fields are random but mostly small
                bytes = Self.plausibleHeader(&r)
                for _ in 0..<r.below(5) { Self.appendFrameLikeBytes(&bytes, &r) }
            }
            let (failure, parsed) = Self.checkArbitraryInput(bytes)
            if parsed { parsedCount += 1 }
            return failure
        }
        for f in failures { Issue.record("\(f)") }
        #expect(parsedCount > 100, "only \(parsedCount) random inputs parsed")
    }

    // MARK: random input

    /// Version 2 (sometimes 1), usually a known type, usually zero flags, a random destination and
    /// a small packet number; CONNECT and ACCEPT usually followed by parameters (and a CONNECT by a
    /// cookie length and cookie), RETRY by a cookie.
    static func plausibleHeader(_ r: inout TestRandom) -> [UInt8] {
        let version: UInt8 = r.chance(97) ? Packet.version : 1
        var bytes: [UInt8] = [version, r.chance(90) ? UInt8(1 + r.below(4)) : r.byte(), r.chance(95) ? 0 : r.byte()]
        bytes += r.chance(10) ? [UInt8](repeating: 0, count: 8) : r.bytes(8)
        appendBigEndian(r.chance(95) ? UInt64(r.below(1000)) : r.next(), 8, &bytes)
        if (bytes[1] == 1 || bytes[1] == 2) && r.chance(80) { bytes += r.bytes(r.chance(80) ? 27 : r.below(30)) }  // handshake parameters
        if bytes[1] == 1 || bytes[1] == 4 {
            // cookie length and cookie, usually consistent
            let length = r.chance(50) ? 0 : r.pick([16, 24, r.below(256)])
            if r.chance(90) { bytes.append(UInt8(length)); bytes += r.bytes(r.chance(90) ? length : r.below(length + 3)) }
        }
        return bytes
    }

    static func appendBigEndian(_ v: UInt64, _ size: Int, _ out: inout [UInt8]) {
        for i in (0..<size).reversed() { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }

    /// A frame type (usually known) followed by fields of the right sizes holding random, mostly
    /// small values: parses often enough to reach the frame validators.
    static func appendFrameLikeBytes(_ out: inout [UInt8], _ r: inout TestRandom) {
        func small(_ r: inout TestRandom, _ size: Int) -> UInt64 {
            r.chance(85) ? UInt64(r.below(12)) : (size == 8 ? r.next() : r.next() >> UInt64(64 - 8 * size))
        }
        let type: UInt8 = r.chance(95) ? UInt8(1 + r.below(8)) : r.byte()
        out.append(type)
        switch type {
        case 0x02:
            appendBigEndian(small(&r, 8), 8, &out)
            appendBigEndian(small(&r, 4), 4, &out)
            let count = r.chance(90) ? r.below(5) : r.below(40)
            out.append(UInt8(count))
            if count > 0 {
                appendBigEndian(UInt64(r.below(60)), 8, &out)
                appendBigEndian(small(&r, 4), 4, &out)
                for _ in 1..<count { appendBigEndian(small(&r, 4), 4, &out); appendBigEndian(small(&r, 4), 4, &out) }
            }
        case 0x03, 0x04, 0x07, 0x08:
            appendBigEndian(small(&r, 8), 8, &out)
        case 0x05:
            out.append(r.byte())
            out.append(r.chance(90) ? r.pick([0, 1, 3]) : r.byte())
            appendBigEndian(small(&r, 4), 4, &out)
            let total = small(&r, 4), offset = r.chance(70) ? 0 : small(&r, 4)
            let length = r.chance(80) ? min(max(0, Int(total) - Int(offset)), 300) : Int(small(&r, 2) & 0xff)
            appendBigEndian(total, 4, &out)
            appendBigEndian(offset, 4, &out)
            appendBigEndian(UInt64(length), 2, &out)
            out += r.bytes(r.chance(90) ? length : r.below(length + 3))
        case 0x06:
            appendBigEndian(small(&r, 2), 2, &out)
            let length = r.chance(90) ? r.below(12) : r.below(256)
            out.append(UInt8(length))
            for _ in 0..<length { out.append(r.chance(80) ? UInt8(0x20 + r.below(0x5f)) : r.byte()) }
        default:
            break
        }
    }

    // MARK: checks

    /// nil if `packet` serializes to `encodedSize` bytes that parse back to it and re-serialize identically.
    static func checkRoundTrip(_ packet: Packet) -> String? {
        let bytes = packet.serialized()
        if bytes.count != packet.encodedSize { return "encodedSize \(packet.encodedSize) but \(bytes.count) bytes: \(packet)" }
        if bytes.count > Packet.maximumDatagramSize { return "generator made an oversize packet" }
        do throws(WireError) {
            let parsed = try Packet.parse(bytes)
            if parsed != packet { return "parsed \(parsed), expected \(packet)" }
            if parsed.serialized() != bytes { return "re-serialization differs for \(packet)" }
            let header = try parseHeader(bytes)
            if header.type != packet.type || header.destination != packet.destination || header.packetNumber != packet.packetNumber {
                return "parseHeader gave \(header) for \(packet)"
            }
        } catch {
            return "parse threw \(error.name) (\(error)) for \(packet), bytes \(hex(bytes))"
        }
        return nil
    }

    /// For any input: parsing either throws (typed: always a `WireError`) or yields a packet that
    /// serializes back to exactly the input (the encoding is canonical) and whose header matches.
    static func checkArbitraryInput(_ bytes: [UInt8]) -> (failure: String?, parsed: Bool) {
        let packet: Packet
        do throws(WireError) {
            packet = try Packet.parse(bytes)
        } catch {
            if !WireErrorNames.all.contains(error.name) || error.description.isEmpty {
                return ("unexpected error \(error.name) for \(hex(bytes))", false)
            }
            return (nil, false)
        }
        let again = packet.serialized()
        if again != bytes { return ("parsed \(hex(bytes)) to \(packet), which serializes to \(hex(again))", true) }
        if packet.encodedSize != bytes.count { return ("encodedSize \(packet.encodedSize) for \(bytes.count) bytes", true) }
        do {
            let header = try parseHeader(bytes)
            if header.destination != packet.destination || header.packetNumber != packet.packetNumber || header.type != packet.type {
                return ("parseHeader disagrees for \(hex(bytes))", true)
            }
            if try Packet.parse(again) != packet { return ("second parse differs for \(hex(bytes))", true) }
        } catch {
            return ("re-parse threw \(error) for \(hex(bytes))", true)
        }
        return (nil, true)
    }

    /// Applies one random mutation: bit flip, boundary byte or word, insertion, deletion,
    /// truncation, extension, duplication or swap.
    static func mutate(_ bytes: inout [UInt8], _ r: inout TestRandom) {
        let interesting: [UInt8] = [
            0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x10, 0x18, 0x20, 0x21, 0x3f, 0x40, 0x7f, 0x80, 0xc8, 0xc9, 0xff,
        ]
        if bytes.isEmpty { bytes = r.bytes(1 + r.below(8)); return }
        let at = r.below(bytes.count)
        switch r.below(9) {
        case 0:
            bytes[at] ^= 1 << UInt8(r.below(8))
        case 1:
            bytes[at] = r.pick(interesting)
        case 2:
            bytes.insert(contentsOf: r.bytes(1 + r.below(8)), at: at)
        case 3:
            bytes.removeSubrange(at..<min(bytes.count, at + 1 + r.below(8)))
        case 4:
            bytes.removeSubrange(r.below(bytes.count)...)
        case 5:
            bytes += r.bytes(1 + r.below(16))
        case 6:
            let word: UInt64 = r.pick([0, 1, Packet.packetNumberLimit - 1, Packet.packetNumberLimit, .max, UInt64(UInt32.max)])
            for i in 0..<8 where at + i < bytes.count { bytes[at + i] = UInt8(truncatingIfNeeded: word >> (56 - 8 * UInt64(i))) }
        case 7:
            let end = min(bytes.count, at + 1 + r.below(24))
            bytes.insert(contentsOf: bytes[at..<end], at: r.below(bytes.count + 1))
        default:
            bytes.swapAt(at, r.below(bytes.count))
        }
    }
}
