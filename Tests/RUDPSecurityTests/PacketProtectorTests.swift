import RUDPWire
import Testing

@testable import RUDPSecurity

/// Packet protection: round trips, tampering, wrong keys, replays, nonce uniqueness, mode `none`.
@Suite("PacketProtector")
struct PacketProtectorTests {
    static let protectedModes: [SecurityMode] = [.authenticated, .encrypted]

    @Test("round trip", arguments: protectedModes)
    func roundTrip(mode: SecurityMode) throws {
        let (sealer, opener) = Fixtures.pair(mode, keys: try Fixtures.keys())
        for (pn, size) in [(0, 0), (1, 1), (2, 1200 - 19 - 16), (3, 65_507 - 19 - 16)] as [(UInt64, Int)] {
            let (header, payload) = Fixtures.packet(pn, payloadSize: size)
            let datagram = try sealer.seal(header: header, payload: payload, packetNumber: pn)
            #expect(datagram.count == header.count + payload.count + PacketProtector.tagSize)
            #expect(Array(datagram[0..<19]) == header, "the header travels in clear")
            let opened = try opener.open(datagram: datagram)
            #expect(opened.header == header && opened.payload == payload)
        }
        // one byte more than the UDP maximum cannot be sealed
        let (header, payload) = Fixtures.packet(4, payloadSize: 65_507 - 19 - 16 + 1)
        #expect(throws: SecurityError.oversize(size: 65_508)) { try sealer.seal(header: header, payload: payload, packetNumber: 4) }
    }

    @Test func encryptedPayloadDiffersFromPlaintext() throws {
        let keys = try Fixtures.keys()
        let (header, payload) = Fixtures.packet(9, payloadSize: 256)
        let encrypted = try Fixtures.pair(.encrypted, keys: keys).sealer.seal(header: header, payload: payload, packetNumber: 9)
        let authenticated = try Fixtures.pair(.authenticated, keys: keys).sealer.seal(header: header, payload: payload, packetNumber: 9)
        let ciphertext = Array(encrypted[19..<(19 + payload.count)])
        #expect(ciphertext != payload)
        // no more than chance agreement between plaintext and ciphertext bytes
        #expect(zip(ciphertext, payload).filter { $0 == $1 }.count < 16)
        #expect(Array(authenticated[19..<(19 + payload.count)]) == payload, "authenticated mode leaves the payload in clear")
        // the same plaintext under the next packet number encrypts differently
        let next = try Fixtures.pair(.encrypted, keys: keys).sealer.seal(header: Fixtures.header(10), payload: payload, packetNumber: 10)
        #expect(Array(next[19..<(19 + payload.count)]) != ciphertext)
    }

    /// Every single-bit flip at every byte position is rejected and leaves the replay window as it
    /// was; the genuine datagram opens afterwards.
    @Test("every flipped byte is rejected", arguments: protectedModes)
    func flippedBytes(mode: SecurityMode) throws {
        let (sealer, opener) = Fixtures.pair(mode, keys: try Fixtures.keys())
        let (header, payload) = Fixtures.packet(1234, payloadSize: 40)
        let datagram = try sealer.seal(header: header, payload: payload, packetNumber: 1234)
        for index in datagram.indices {
            for mask: UInt8 in [0x01, 0x80, 0xff] {
                var tampered = datagram
                tampered[index] ^= mask
                #expect(throws: SecurityError.self, "byte \(index) ^ \(mask)") { _ = try opener.open(datagram: tampered) }
            }
        }
        #expect(opener.replayWindow.highest == nil, "rejected datagrams must not move the window")
        #expect(try opener.open(datagram: datagram).payload == payload)
    }

    @Test("truncated and extended datagrams are rejected", arguments: protectedModes)
    func lengths(mode: SecurityMode) throws {
        let (sealer, opener) = Fixtures.pair(mode, keys: try Fixtures.keys())
        let (header, payload) = Fixtures.packet(7, payloadSize: 30)
        let datagram = try sealer.seal(header: header, payload: payload, packetNumber: 7)
        for length in 0..<datagram.count {
            let cut = Array(datagram[0..<length])
            do {
                _ = try opener.open(datagram: cut)
                Issue.record("a datagram cut to \(length) bytes opened")
            } catch {
                #expect(error == (length < 35 ? .truncated(size: length, minimum: 35) : .authenticationFailed), "length \(length)")
            }
        }
        #expect(throws: SecurityError.authenticationFailed) { _ = try opener.open(datagram: datagram + [0]) }
        #expect(throws: SecurityError.oversize(size: 65_508)) { _ = try opener.open(datagram: [UInt8](repeating: 0, count: 65_508)) }
        #expect(try opener.open(datagram: datagram).payload == payload)
    }

    @Test("wrong key, direction, connection or mode is rejected", arguments: protectedModes)
    func wrongKey(mode: SecurityMode) throws {
        let keys = try Fixtures.keys()
        let (header, payload) = Fixtures.packet(3)
        let datagram = try Fixtures.pair(mode, keys: keys).sealer.seal(header: header, payload: payload, packetNumber: 3)

        let otherPSK = try PreSharedKey.generate()
        let wrongPSK = Fixtures.pair(mode, keys: try Fixtures.keys(psk: otherPSK)).opener
        let otherConnection = Fixtures.pair(mode, keys: try Fixtures.keys(seed: 2)).opener
        let otherDirection = PacketProtector(mode: mode, key: keys.serverToClient, direction: .serverToClient)
        let rightKeyWrongNonce = PacketProtector(mode: mode, key: keys.clientToServer, direction: .serverToClient)
        let otherMode = Fixtures.pair(mode == .encrypted ? .authenticated : .encrypted, keys: keys).opener
        for (name, opener) in [
            ("other PSK", wrongPSK), ("other connection", otherConnection), ("other direction", otherDirection),
            ("other nonce direction", rightKeyWrongNonce), ("other mode", otherMode),
        ] {
            #expect(throws: SecurityError.authenticationFailed, "\(name)") { _ = try opener.open(datagram: datagram) }
        }
    }

    @Test("replays are rejected before decryption", arguments: protectedModes)
    func replays(mode: SecurityMode) throws {
        let (sealer, opener) = Fixtures.pair(mode, keys: try Fixtures.keys())
        func seal(_ pn: UInt64) throws -> [UInt8] {
            let (h, p) = Fixtures.packet(pn, payloadSize: 8)
            return try sealer.seal(header: h, payload: p, packetNumber: pn)
        }
        var datagrams: [UInt64: [UInt8]] = [:]
        for pn: UInt64 in [0, 1, 2, 5, 2000, 2001, 1_000_000_000_000, (1 << 62) - 1] {
            datagrams[pn] = try seal(pn)
        }
        _ = try opener.open(datagram: datagrams[0]!)
        #expect(throws: SecurityError.replayed(packetNumber: 0)) { _ = try opener.open(datagram: datagrams[0]!) }
        _ = try opener.open(datagram: datagrams[5]!)
        _ = try opener.open(datagram: datagrams[2]!)  // late but inside the window: fine once
        #expect(throws: SecurityError.replayed(packetNumber: 2)) { _ = try opener.open(datagram: datagrams[2]!) }
        _ = try opener.open(datagram: datagrams[2001]!)
        #expect(throws: SecurityError.tooOld(packetNumber: 1)) { _ = try opener.open(datagram: datagrams[1]!) }
        _ = try opener.open(datagram: datagrams[2000]!)
        // far-future number, then old ones
        _ = try opener.open(datagram: datagrams[1_000_000_000_000]!)
        #expect(throws: SecurityError.tooOld(packetNumber: 2000)) { _ = try opener.open(datagram: datagrams[2000]!) }
        #expect(throws: SecurityError.replayed(packetNumber: 1_000_000_000_000)) {
            _ = try opener.open(datagram: datagrams[1_000_000_000_000]!)
        }
        _ = try opener.open(datagram: datagrams[(1 << 62) - 1]!)
        #expect(throws: SecurityError.replayed(packetNumber: (1 << 62) - 1)) { _ = try opener.open(datagram: datagrams[(1 << 62) - 1]!) }
        #expect(throws: SecurityError.tooOld(packetNumber: 1_000_000_000_000)) {
            _ = try opener.open(datagram: datagrams[1_000_000_000_000]!)
        }
    }

    /// A forged datagram with a far-future packet number must not move the window: the genuine
    /// traffic behind it still opens.
    @Test("a forged far-future packet does not move the window", arguments: protectedModes)
    func forgedFarFuture(mode: SecurityMode) throws {
        let (sealer, opener) = Fixtures.pair(mode, keys: try Fixtures.keys())
        let forger = Fixtures.pair(mode, keys: try Fixtures.keys(psk: try PreSharedKey.generate())).sealer
        let (h, p) = Fixtures.packet((1 << 62) - 1)
        #expect(throws: SecurityError.authenticationFailed) {
            _ = try opener.open(datagram: try forger.seal(header: h, payload: p, packetNumber: (1 << 62) - 1))
        }
        let (h1, p1) = Fixtures.packet(1)
        #expect(try opener.open(datagram: try sealer.seal(header: h1, payload: p1, packetNumber: 1)).payload == p1)
    }

    @Test("a nonce is never reused", arguments: SecurityMode.allCases)
    func nonceUniqueness(mode: SecurityMode) throws {
        let sealer = Fixtures.pair(mode, keys: try Fixtures.keys()).sealer
        let (h, p) = Fixtures.packet(5)
        _ = try sealer.seal(header: h, payload: p, packetNumber: 5)
        #expect(throws: SecurityError.packetNumberNotIncreasing(packetNumber: 5, lastSealed: 5)) {
            _ = try sealer.seal(header: h, payload: p, packetNumber: 5)
        }
        let (h4, p4) = Fixtures.packet(4)
        #expect(throws: SecurityError.packetNumberNotIncreasing(packetNumber: 4, lastSealed: 5)) {
            _ = try sealer.seal(header: h4, payload: p4, packetNumber: 4)
        }
        #expect(sealer.lastSealed == 5, "a refused seal leaves the counter alone")
        // the last usable number, then the key is exhausted
        let last: UInt64 = (1 << 62) - 1
        let (hl, pl) = Fixtures.packet(last)
        _ = try sealer.seal(header: hl, payload: pl, packetNumber: last)
        for pn: UInt64 in [1 << 62, (1 << 62) + 1, .max] {
            var header = Fixtures.header(0)
            for i in 0..<8 { header[11 + i] = UInt8(truncatingIfNeeded: pn >> UInt64(56 - 8 * i)) }
            #expect(throws: SecurityError.keyExhausted) { _ = try sealer.seal(header: header, payload: [1], packetNumber: pn) }
        }
        #expect(throws: SecurityError.packetNumberNotIncreasing(packetNumber: last, lastSealed: last)) {
            _ = try sealer.seal(header: hl, payload: pl, packetNumber: last)
        }
    }

    @Test func sealChecksItsArguments() throws {
        let sealer = Fixtures.pair(.encrypted, keys: try Fixtures.keys()).sealer
        #expect(throws: SecurityError.self) {
            _ = try sealer.seal(header: Array(Fixtures.header(1).prefix(18)), payload: [1], packetNumber: 1)
        }
        #expect(throws: SecurityError.self) { _ = try sealer.seal(header: Fixtures.header(1), payload: [1], packetNumber: 2) }
        var short: [UInt8] = [1, 2, 3]
        #expect(throws: SecurityError.self) { try sealer.sealInPlace(&short) }
        #expect(sealer.lastSealed == nil)
    }

    /// Random datagrams, some with a plausible header, are rejected with a typed error and never
    /// move the replay window.
    @Test("random datagrams are rejected", arguments: SecurityMode.allCases)
    func randomDatagrams(mode: SecurityMode) throws {
        let seed: UInt64 = 0xBAD_DA7A + UInt64(mode.overhead)
        var rng = TestRandom(seed: seed)
        let opener = Fixtures.pair(mode, keys: try Fixtures.keys()).opener
        for i in 0..<3000 {
            var datagram = rng.bytes(Int(rng.below(rng.chance(10) ? 1500 : 80)))
            if rng.chance(50) && datagram.count >= 19 {
                datagram.replaceSubrange(0..<19, with: Fixtures.header(rng.below(5000)))
            }
            do {
                let opened = try opener.open(datagram: datagram)
                Issue.record("seed \(seed) datagram \(i): random bytes opened as \(opened)")
            } catch {
                #expect(error != .authenticationFailed || datagram.count >= 19 + opener.overhead, "seed \(seed) datagram \(i)")
            }
        }
        #expect(opener.replayWindow.highest == nil, "seed \(seed)")
    }

    /// The engine's receive path opens into its scratch buffer (`open(_:into:)`): for genuine,
    /// replayed, reordered, tampered, truncated and random datagrams it must give the results,
    /// packet bytes and replay window that `openInPlace` gives.
    @Test("opening into a buffer agrees with opening in place", arguments: SecurityMode.allCases)
    func openIntoBufferAgrees(mode: SecurityMode) throws {
        let seed: UInt64 = 0x5C4A_7C8 + UInt64(mode.overhead)
        var rng = TestRandom(seed: seed)
        let keys = try Fixtures.keys()
        let sealer = mode == .none ? PacketProtector(unprotected: .clientToServer) : Fixtures.pair(mode, keys: keys).sealer
        let (inPlace, intoBuffer) =
            mode == .none
            ? (PacketProtector(unprotected: .clientToServer), PacketProtector(unprotected: .clientToServer))
            : (Fixtures.pair(mode, keys: keys).opener, Fixtures.pair(mode, keys: keys).opener)
        var sent: [[UInt8]] = []
        for pn in 0..<UInt64(400) {
            let (header, payload) = Fixtures.packet(pn, payloadSize: Int(rng.below(rng.chance(10) ? 1400 : 100)))
            sent.append(try sealer.seal(header: header, payload: payload, packetNumber: pn))
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Packet.maximumDatagramSize, alignment: 16)
        defer { buffer.deallocate() }
        for i in 0..<1500 {
            var datagram: [UInt8]
            switch rng.below(6) {
            case 0, 1: datagram = sent[Int(rng.below(UInt64(sent.count)))]  // genuine, often a replay, out of order
            case 2:
                datagram = sent[Int(rng.below(UInt64(sent.count)))]
                datagram[Int(rng.below(UInt64(datagram.count)))] ^= UInt8(1 + rng.below(255))
            case 3: datagram = Array(sent[Int(rng.below(UInt64(sent.count)))].prefix(Int(rng.below(60))))
            case 4: datagram = rng.bytes(Int(rng.below(200)))
            default:
                datagram = rng.bytes(Int(rng.below(200)))
                if datagram.count >= 19 { datagram.replaceSubrange(0..<19, with: Fixtures.header(rng.below(500))) }
            }
            var expected = datagram
            let expectedResult = Result { () throws(SecurityError) in try inPlace.openInPlace(&expected) }
            let result = datagram.withUnsafeBytes { raw in
                Result { () throws(SecurityError) -> Int in try intoBuffer.open(raw, into: buffer) }
            }
            switch (expectedResult, result) {
            case (.success, .success(let count)):
                #expect(Array(buffer.prefix(count)) == expected, "seed \(seed) datagram \(i)")
            case (.failure(let a), .failure(let b)):
                #expect(a == b, "seed \(seed) datagram \(i)")
            default:
                Issue.record("seed \(seed) datagram \(i): in place \(expectedResult), into a buffer \(result)")
            }
            #expect(inPlace.replayWindow == intoBuffer.replayWindow, "seed \(seed) datagram \(i)")
        }
    }

    @Test func noneModeIsTheCRCTrailer() throws {
        let (outgoing, incoming) = try PacketProtector.pair(mode: .none, keys: nil, isClient: true)
        #expect(outgoing.overhead == 4 && incoming.direction == .serverToClient)
        let (h, p) = Fixtures.packet(8)
        let datagram = try outgoing.seal(header: h, payload: p, packetNumber: 8)
        var expected = h + p
        Datagram.seal(&expected)
        #expect(datagram == expected)
        let opener = PacketProtector(unprotected: .clientToServer)
        #expect(try opener.open(datagram: datagram).payload == p)
        #expect(try opener.open(datagram: datagram).payload == p, "mode none leaves duplicates to the engine")
        var tampered = datagram
        tampered[20] ^= 4
        #expect(throws: SecurityError.checksumMismatch) { _ = try opener.open(datagram: tampered) }
        #expect(throws: SecurityError.truncated(size: 22, minimum: 23)) { _ = try opener.open(datagram: Array(datagram.prefix(22))) }
    }

    @Test func pairConnectsClientAndServer() throws {
        let keys = try Fixtures.keys()
        for mode in Self.protectedModes {
            let client = try PacketProtector.pair(mode: mode, keys: keys, isClient: true)
            let server = try PacketProtector.pair(mode: mode, keys: keys, isClient: false)
            var toServer = Fixtures.header(0) + [1, 2, 3]
            try client.outgoing.sealInPlace(&toServer)
            try server.incoming.openInPlace(&toServer)
            #expect(toServer == Fixtures.header(0) + [1, 2, 3])
            var toClient = Fixtures.header(1) + [4]
            try server.outgoing.sealInPlace(&toClient)
            #expect(throws: SecurityError.authenticationFailed) { _ = try server.incoming.open(datagram: toClient) }
            try client.incoming.openInPlace(&toClient)
            #expect(toClient == Fixtures.header(1) + [4])
            #expect(throws: SecurityError.missingKey(reason: "security mode \(mode) needs session keys")) {
                _ = try PacketProtector.pair(mode: mode, keys: nil, isClient: true)
            }
        }
    }
}
