import RUDPWire
import Testing

@testable import RUDPSecurity

/// The key schedule gives every connection and direction its own keys.
@Suite("KeySchedule")
struct KeyScheduleTests {
    static func hex(_ key: SecretKey) -> String { key.withUnsafeBytes { Hex.encode(Array($0)) } }

    @Test func everyInputChangesEveryKey() throws {
        let psk = try Fixtures.psk()
        var rng = TestRandom(seed: 77)
        let c = HandshakeRandom(using: &rng), s = HandshakeRandom(using: &rng)
        func derive(psk: PreSharedKey, c: HandshakeRandom, s: HandshakeRandom, cc: ConnectionID, sc: ConnectionID) throws -> [String] {
            let keys = try KeySchedule.sessionKeys(
                psk: psk, clientRandom: c, serverRandom: s, clientConnectionID: cc, serverConnectionID: sc)
            return [keys.clientToServer, keys.serverToClient, keys.handshake].map(Self.hex)
        }
        let base = try derive(psk: psk, c: c, s: s, cc: Fixtures.clientID, sc: Fixtures.serverID)
        #expect(Set(base).count == 3, "the three keys differ")
        #expect(try derive(psk: psk, c: c, s: s, cc: Fixtures.clientID, sc: Fixtures.serverID) == base, "deterministic")
        let variants = [
            try derive(psk: try PreSharedKey.generate(), c: c, s: s, cc: Fixtures.clientID, sc: Fixtures.serverID),
            try derive(psk: psk, c: s, s: c, cc: Fixtures.clientID, sc: Fixtures.serverID),
            try derive(psk: psk, c: HandshakeRandom(using: &rng), s: s, cc: Fixtures.clientID, sc: Fixtures.serverID),
            try derive(psk: psk, c: c, s: HandshakeRandom(using: &rng), cc: Fixtures.clientID, sc: Fixtures.serverID),
            try derive(psk: psk, c: c, s: s, cc: Fixtures.serverID, sc: Fixtures.clientID),
            try derive(psk: psk, c: c, s: s, cc: ConnectionID(Fixtures.clientID.rawValue ^ 1), sc: Fixtures.serverID),
        ]
        var all = Set(base)
        for v in variants {
            for key in v { #expect(all.insert(key).inserted, "a key repeated across connections") }
        }
        #expect(!all.contains(Self.hex(try KeySchedule.connectKey(psk: psk))))
    }

    @Test func handshakeRandoms() throws {
        let a = try HandshakeRandom.generate(), b = try HandshakeRandom.generate()
        #expect(a != b && a.bytes.count == 32)
        #expect(throws: SecurityError.invalidLength(what: "handshake random", expected: 32, actual: 31)) {
            _ = try HandshakeRandom(bytes: [UInt8](repeating: 1, count: 31))
        }
        var r1 = TestRandom(seed: 9), r2 = TestRandom(seed: 9)
        #expect(HandshakeRandom(using: &r1) == HandshakeRandom(using: &r2))
        #expect(try HandshakeRandom(bytes: a.bytes) == a)
        #expect(a.description.count == 64)
    }

    @Test func sessionKeysPickTheirDirection() throws {
        let keys = try Fixtures.keys()
        #expect(keys.key(for: .clientToServer) === keys.clientToServer)
        #expect(keys.key(for: .serverToClient) === keys.serverToClient)
        #expect(PacketDirection.outgoing(isClient: true) == .clientToServer && PacketDirection.incoming(isClient: true) == .serverToClient)
        #expect(
            PacketDirection.outgoing(isClient: false) == .serverToClient && PacketDirection.incoming(isClient: false) == .clientToServer)
    }
}
