import RUDPFuzzSupport
import RUDPWire
import Testing

/// The allocation-free fast paths against the reference codec (``FastPathOracle``): the reader
/// accepts exactly the DATA packets `Packet.parse` accepts, with the same `WireError`, and decodes
/// the same frames; the writer produces exactly `serialized()` + `Datagram.seal`. On every vector,
/// random valid packets, their prefixes, mutations and random bytes. Seeds are printed
/// (``SeededCases``): `RUDP_WIRE_SEED=<seed> swift test --filter FastPathEquivalence` replays one.
@Suite("Fast path equivalence")
struct FastPathEquivalenceTests {
    @Test("every packet-level vector: same verdict, same frames, same bytes written")
    func packetVectors() {
        for v in TestVectors.all {
            if let problem = FastPathOracle.compareReader(v.bytes) { Issue.record("\(v.name): \(problem)") }
            if case .packet(let packet) = v.expectation, let problem = FastPathOracle.compareWriter(packet) {
                Issue.record("\(v.name): \(problem)")
            }
        }
    }

    @Test("every datagram vector: Datagram.verify + PacketView agrees with Datagram.open")
    func datagramVectors() {
        for v in DatagramVectors.shared.vectors {
            let problem = v.bytes.withUnsafeBytes { raw -> String? in
                let reference = Result { () throws(WireError) -> Packet in try Datagram.open(raw) }
                let fast = Result { () throws(WireError) -> PacketView in try PacketView(validating: try Datagram.verify(raw)) }
                switch (reference, fast) {
                case let (.success(packet), .success(view)): return FastPathOracle.compareView(view, with: packet)
                case let (.failure(a), .failure(b)): return a == b ? nil : "Datagram.open threw \(a), the fast path \(b)"
                case (.failure, .success(.handshake)): return nil  // a handshake body: not the fast path's
                case let (a, b): return "Datagram.open gave \(a), the fast path \(b)"
                }
            }
            if let problem { Issue.record("\(v.name): \(problem)") }
            if case .packet(let packet) = v.expectation, let problem = FastPathOracle.compareWriter(packet) {
                Issue.record("\(v.name): \(problem)")
            }
        }
    }

    @Test("random valid packets: the reader decodes them as Packet.parse does, the writer reproduces them")
    func randomPackets() {
        let generator = PacketGenerator()
        let failures = SeededCases("fastPathRandom", count: 5000, defaultBase: 0xFA57_0000_0001).run { r, _ in
            let packet = generator.packet(&r)
            return FastPathOracle.compareReader(packet.serialized())
                ?? FastPathOracle.compareWriter(packet, offset: r.chance(50) ? 0 : r.below(40))
        }
        for f in failures { Issue.record("\(f)") }
    }

    @Test("large messages and many frames")
    func randomLargePackets() {
        var generator = PacketGenerator()
        generator.maximumPayload = 4000
        generator.maximumFrames = 16
        let failures = SeededCases("fastPathLarge", count: 300, defaultBase: 0xFA57_0000_0002).run { r, _ in
            let packet = generator.packet(&r)
            return FastPathOracle.compareReader(packet.serialized()) ?? FastPathOracle.compareWriter(packet)
        }
        for f in failures { Issue.record("\(f)") }
    }

    @Test("every prefix of a valid packet: the same verdict")
    func prefixes() {
        var generator = PacketGenerator()
        generator.maximumPayload = 24
        generator.maximumFrames = 5
        let failures = SeededCases("fastPathPrefixes", count: 300, defaultBase: 0xFA57_0000_0003).run { r, _ in
            let bytes = generator.packet(&r).serialized()
            for n in 0...bytes.count {
                if let problem = FastPathOracle.compareReader(Array(bytes[..<n])) { return "prefix of \(n) bytes: \(problem)" }
            }
            return nil
        }
        for f in failures { Issue.record("\(f)") }
    }

    @Test("mutated packets: the same verdict and error, the same frames when accepted")
    func mutations() {
        var generator = PacketGenerator()
        generator.maximumPayload = 40
        generator.maximumFrames = 6
        var acceptedData = 0
        var rejectedData = 0
        let failures = SeededCases("fastPathMutations", count: 30_000, defaultBase: 0xFA57_0000_0004).run { r, _ in
            var bytes = generator.packet(&r).serialized()
            for _ in 0..<(1 + r.below(3)) { PropertyTests.mutate(&bytes, &r) }
            if let problem = FastPathOracle.compareReader(bytes) { return "\(problem) for \(hex(bytes))" }
            if bytes.count > 1, bytes[1] == PacketType.data.rawValue {
                if (try? Packet.parse(bytes)) != nil { acceptedData += 1 } else { rejectedData += 1 }
            }
            return nil
        }
        for f in failures { Issue.record("\(f)") }
        // both verdicts must be exercised on DATA packets, or the comparison proves little
        #expect(acceptedData > 2000, "only \(acceptedData) mutated DATA packets parsed")
        #expect(rejectedData > 2000, "only \(rejectedData) mutated DATA packets were rejected")
    }

    @Test("random frame-like bytes: the same verdict and error")
    func randomBytes() {
        let failures = SeededCases("fastPathRandomBytes", count: 20_000, defaultBase: 0xFA57_0000_0005).run { r, _ in
            var bytes = PropertyTests.plausibleHeader(&r)
            if r.chance(80), bytes.count >= 2 { bytes[1] = PacketType.data.rawValue }
            if r.chance(50) {
                for _ in 0..<r.below(120) {
                    bytes.append(r.chance(50) ? r.pick([0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0xff]) : r.byte())
                }
            } else {
                for _ in 0..<r.below(5) { PropertyTests.appendFrameLikeBytes(&bytes, &r) }
            }
            return FastPathOracle.compareReader(bytes).map { "\($0) for \(hex(bytes))" }
        }
        for f in failures { Issue.record("\(f)") }
    }

    @Test(
        "CLOSE reasons: the fast UTF-8 check agrees with String(validating:) on every 1- and 2-byte reason and boundary 3- and 4-byte ones")
    func closeReasonValidation() {
        let header: [UInt8] =
            [Packet.version, PacketType.data.rawValue, 0] + [UInt8](repeating: 0, count: 7) + [1] + [UInt8](repeating: 0, count: 8)
        func check(_ reason: [UInt8]) -> String? {
            let packet = header + [FrameType.close.rawValue, 0, 0, UInt8(reason.count)] + reason
            return FastPathOracle.compareReader(packet).map { "reason \(hex(reason)): \($0)" }
        }
        var problems: [String] = []
        for a in 0...255 {
            if let p = check([UInt8(a)]) { problems.append(p) }
            for b in 0...255 {
                if let p = check([UInt8(a), UInt8(b)]) { problems.append(p) }
            }
        }
        // Continuation-byte boundaries and the values around the lead bytes' special ranges.
        let edges: [UInt8] = [
            0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xED, 0xEF,
            0xF0, 0xF4, 0xF5, 0xFF,
        ]
        for a in 0...255 {
            for b in edges {
                for c in edges {
                    if let p = check([UInt8(a), b, c]) { problems.append(p) }
                    for d in edges where a >= 0xF0 { if let p = check([UInt8(a), b, c, d]) { problems.append(p) } }
                }
            }
        }
        for p in problems.prefix(10) { Issue.record("\(p)") }
        #expect(problems.isEmpty, "\(problems.count) reasons disagree")
    }

    @Test("random CLOSE reasons of every length, valid or not")
    func randomCloseReasons() {
        let failures = SeededCases("fastPathCloseReasons", count: 20_000, defaultBase: 0xFA57_0000_0006).run { r, _ in
            var reason = Array(PacketGenerator().reason(&r).utf8)
            if r.chance(60) && !reason.isEmpty { PropertyTests.mutate(&reason, &r) }
            if r.chance(10) { reason = r.bytes(r.below(256)) }
            let length = r.chance(95) ? min(reason.count, 255) : r.below(256)
            var packet: [UInt8] =
                [Packet.version, PacketType.data.rawValue, 0] + [UInt8](repeating: 0, count: 7) + [1] + [UInt8](repeating: 0, count: 8)
            packet += [FrameType.close.rawValue, r.byte(), r.byte(), UInt8(length)] + reason.prefix(255)
            if r.chance(30) { packet.append(FrameType.ping.rawValue) }
            return FastPathOracle.compareReader(packet).map { "\($0) for \(hex(packet))" }
        }
        for f in failures { Issue.record("\(f)") }
    }
}
