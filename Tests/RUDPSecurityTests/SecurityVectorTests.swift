import RUDPWire
import Testing

@testable import RUDPSecurity

/// Checks `Specs/vectors/security/security.json` (made by an independent Python implementation)
/// in both directions: the key schedule, sealing gives the datagram, opening gives the fields,
/// every tampered datagram fails with the expected error, handshake tags and cookies.
@Suite("Security vectors")
struct SecurityVectorTests {
    /// The PSK and the session keys of the vector file.
    static func context(_ v: SecurityVectors) throws -> (psk: PreSharedKey, keys: SessionKeys) {
        let psk = try PreSharedKey(hexEncoded: v.psk, source: "vector psk")
        let ks = v.key_schedule
        let keys = try KeySchedule.sessionKeys(
            psk: psk,
            clientRandom: try HandshakeRandom(bytes: bytes(ks.client_random, "client_random")),
            serverRandom: try HandshakeRandom(bytes: bytes(ks.server_random, "server_random")),
            clientConnectionID: ConnectionID(UInt64(ks.client_connection_id, radix: 16)!),
            serverConnectionID: ConnectionID(UInt64(ks.server_connection_id, radix: 16)!))
        return (psk, keys)
    }

    static func keyHex(_ key: SecretKey) -> String {
        key.withUnsafeBytes { Hex.encode(Array($0)) }
    }

    static func protector(_ mode: String, _ direction: String, _ keys: SessionKeys) throws -> PacketProtector {
        let m = try #require(SecurityMode(rawValue: mode), "unknown mode \(mode)")
        let d: PacketDirection = direction == "client_to_server" ? .clientToServer : .serverToClient
        #expect(direction == "client_to_server" || direction == "server_to_client")
        return PacketProtector(mode: m, key: keys.key(for: d), direction: d)
    }

    @Test func keySchedule() throws {
        let v = try SecurityVectors.load()
        let (psk, keys) = try Self.context(v)
        #expect(Self.keyHex(keys.clientToServer) == v.key_schedule.client_to_server_key)
        #expect(Self.keyHex(keys.serverToClient) == v.key_schedule.server_to_client_key)
        #expect(Self.keyHex(keys.handshake) == v.key_schedule.handshake_key)
        #expect(Self.keyHex(try KeySchedule.connectKey(psk: psk)) == v.key_schedule.connect_key)
    }

    @Test func sealGivesTheDatagram() throws {
        let v = try SecurityVectors.load()
        let (_, keys) = try Self.context(v)
        #expect(v.packets.count >= 6)
        for p in v.packets {
            let sealer = try Self.protector(p.mode, p.direction, keys)
            let pn = try #require(UInt64(p.packet_number))
            let datagram = try sealer.seal(header: bytes(p.header, "header"), payload: bytes(p.payload, "payload"), packetNumber: pn)
            #expect(Hex.encode(datagram) == p.datagram, "\(p.name)")
            // the in-place form gives the same bytes
            var inPlace = try bytes(p.header, "header") + bytes(p.payload, "payload")
            try Self.protector(p.mode, p.direction, keys).sealInPlace(&inPlace)
            #expect(Hex.encode(inPlace) == p.datagram, "\(p.name) (in place)")
        }
    }

    @Test func openGivesTheFields() throws {
        let v = try SecurityVectors.load()
        let (_, keys) = try Self.context(v)
        for p in v.packets {
            let opener = try Self.protector(p.mode, p.direction, keys)
            let (header, payload) = try opener.open(datagram: bytes(p.datagram, "datagram"))
            #expect(Hex.encode(header) == p.header, "\(p.name)")
            #expect(Hex.encode(payload) == p.payload, "\(p.name)")
            #expect(opener.replayWindow.highest == UInt64(p.packet_number), "\(p.name)")
            // a second delivery is a replay
            #expect(throws: SecurityError.replayed(packetNumber: UInt64(p.packet_number)!)) {
                _ = try opener.open(datagram: bytes(p.datagram, "datagram"))
            }
        }
    }

    @Test func tamperedDatagramsFail() throws {
        let v = try SecurityVectors.load()
        let (_, keys) = try Self.context(v)
        #expect(v.invalid_packets.count >= 10)
        for p in v.invalid_packets {
            let opener = try Self.protector(p.mode, p.direction, keys)
            let datagram = try bytes(p.datagram, "datagram")
            do {
                let opened = try opener.open(datagram: datagram)
                Issue.record("\(p.name): expected \(p.error), opened \(opened)")
            } catch {
                #expect(error.name == p.error, "\(p.name): expected \(p.error), got \(error.name): \(error)")
            }
            #expect(opener.replayWindow.highest == nil, "\(p.name): a rejected datagram moved the replay window")
        }
    }

    @Test func handshakeTags() throws {
        let v = try SecurityVectors.load()
        let (psk, keys) = try Self.context(v)
        #expect(v.handshake_tags.count >= 2)
        for t in v.handshake_tags {
            let key = t.key == "connect" ? try KeySchedule.connectKey(psk: psk) : keys.handshake
            let authenticator = HandshakeAuthenticator(key: key)
            let message = try bytes(t.message, "message")
            #expect(Hex.encode(authenticator.tag(message)) == t.tag, "\(t.name)")
            #expect(authenticator.isValid(tag: try bytes(t.tag, "tag"), for: message), "\(t.name)")
            var tampered = message + [0]
            #expect(!authenticator.isValid(tag: try bytes(t.tag, "tag"), for: tampered), "\(t.name)")
            tampered = try bytes(t.tag, "tag")
            tampered[0] ^= 1
            #expect(!authenticator.isValid(tag: tampered, for: message), "\(t.name)")
        }
    }

    @Test func cookies() throws {
        let v = try SecurityVectors.load()
        #expect(!v.cookies.isEmpty)
        for c in v.cookies {
            let secret = try bytes(c.secret, "secret").withUnsafeBytes { SecretKey(copying: $0) }
            let timestamp = try #require(UInt64(c.timestamp))
            let issuer = CookieIssuer(secret: secret, at: timestamp, lifetime: try #require(UInt64(c.lifetime)))
            let clientID = ConnectionID(try #require(UInt64(c.client_connection_id, radix: 16)))
            let cookie = issuer.issue(address: try bytes(c.address, "address"), clientConnectionID: clientID, at: timestamp)
            #expect(Hex.encode(cookie) == c.cookie, "\(c.name)")
            for (i, check) in c.checks.enumerated() {
                let id = ConnectionID(try #require(UInt64(check.client_connection_id, radix: 16)))
                let at = try #require(UInt64(check.at))
                let stored = try bytes(c.cookie, "cookie"), address = try bytes(check.address, "address")
                do {
                    try issuer.verify(stored, address: address, clientConnectionID: id, at: at)
                    #expect(check.result == "valid", "\(c.name) check \(i): expected \(check.result), verified")
                } catch {
                    #expect(error.name == check.result, "\(c.name) check \(i): expected \(check.result), got \(error.name)")
                }
            }
        }
    }
}
