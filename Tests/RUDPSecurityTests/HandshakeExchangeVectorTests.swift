import RUDPCore
import RUDPWire
import Testing

@testable import RUDPSecurity

/// Checks the secure handshake exchanges of `security.json` ("handshake_exchange", made by the
/// independent Python generator): the engine's hooks (``PSKHandshakeSecurity``,
/// ``SessionProtection``) and the wire codec produce exactly those datagrams, and verify and open them.
@Suite("Secure handshake vectors")
struct HandshakeExchangeVectorTests {
    @Test func bothModesAreCovered() throws {
        let v = try SecurityVectors.load()
        #expect(Set(v.handshake_exchange.map(\.mode)) == ["authenticated", "encrypted"])
        #expect(
            v.handshake_exchange.allSatisfy {
                $0.datagrams.map(\.name) == ["connect", "retry", "connect-with-cookie", "accept", "client-data", "server-data"]
            })
    }

    @Test func exchangesAreReproducedAndVerified() throws {
        let v = try SecurityVectors.load()
        let psk = try PreSharedKey(hexEncoded: v.psk, source: "vector psk")
        let ks = v.key_schedule
        let clientID = ConnectionID(try #require(UInt64(ks.client_connection_id, radix: 16)))
        let serverID = ConnectionID(try #require(UInt64(ks.server_connection_id, radix: 16)))
        let clientRandom = try bytes(ks.client_random, "client_random")
        let serverRandom = try bytes(ks.server_random, "server_random")
        for exchange in v.handshake_exchange {
            let mode = try #require(SecurityMode(rawValue: exchange.mode))
            let handshake = try PSKHandshakeSecurity(configuration: SecurityConfiguration(mode: mode, key: psk), randomness: .seeded(1))
            #expect(handshake.flags.rawValue == exchange.flags)
            var expected: [String: [UInt8]] = [:]
            for d in exchange.datagrams { expected[d.name] = try bytes(d.datagram, d.name) }
            func check(_ name: String, _ made: [UInt8]) {
                #expect(Hex.encode(made) == Hex.encode(expected[name] ?? []), "\(exchange.name): \(name)")
            }
            let clientParams = TransportParameters(sourceConnectionID: clientID)
            let serverParams = TransportParameters(sourceConnectionID: serverID)

            // CONNECT without a cookie.
            var connect = Packet(
                destination: .none, packetNumber: 0,
                body: .secureConnect(clientParams, clientRandom: clientRandom, cookie: []), flags: handshake.flags
            ).serialized()
            handshake.appendConnectKeyTag(&connect)
            check("connect", connect)
            #expect(handshake.verifyConnectKeyTag(expected["connect"] ?? []))

            // RETRY with the cookie of the cookie vector.
            let address = try bytes(exchange.client_address, "client_address")
            let issuedAt = try #require(UInt64(exchange.cookie_issued_at))
            let secret = try bytes(exchange.cookie_secret, "cookie_secret").withUnsafeBytes { SecretKey(copying: $0) }
            let issuer = CookieIssuer(secret: secret, at: issuedAt)
            let cookie = issuer.issue(address: address, clientConnectionID: clientID, at: issuedAt)
            var retry = Packet(destination: clientID, packetNumber: 0, body: .retry(cookie: cookie), flags: handshake.flags).serialized()
            handshake.appendConnectKeyTag(&retry)
            check("retry", retry)
            let retryDatagram = expected["retry"] ?? []
            #expect(handshake.verifyConnectKeyTag(retryDatagram))
            #expect(try Packet.parse(Array(retryDatagram.dropLast(16))).body == .retry(cookie: cookie))

            // CONNECT echoing the cookie; the cookie verifies for that address and ID.
            var second = Packet(
                destination: .none, packetNumber: 1,
                body: .secureConnect(clientParams, clientRandom: clientRandom, cookie: cookie), flags: handshake.flags
            ).serialized()
            handshake.appendConnectKeyTag(&second)
            check("connect-with-cookie", second)
            try issuer.verify(cookie, address: address, clientConnectionID: clientID, at: issuedAt + 1_000_000)

            // ACCEPT, tagged by the server's protection and verified by the client's.
            let server = try #require(
                handshake.sessionProtection(
                    clientRandom: clientRandom, serverRandom: serverRandom,
                    clientConnectionID: clientID, serverConnectionID: serverID, isClient: false))
            let client = try #require(
                handshake.sessionProtection(
                    clientRandom: clientRandom, serverRandom: serverRandom,
                    clientConnectionID: clientID, serverConnectionID: serverID, isClient: true))
            var accept = Packet(
                destination: clientID, packetNumber: 0,
                body: .secureAccept(serverParams, serverRandom: serverRandom), flags: handshake.flags
            ).serialized()
            server.authenticateHandshake(&accept)
            check("accept", accept)
            #expect(client.verifyHandshake(expected["accept"] ?? []))

            // First DATA packets, sealed by one side and opened by the other.
            let hello = Frame.message(
                MessageFrame(channel: 0, mode: .reliableOrdered, sequence: 0, totalLength: 5, offset: 0, payload: Array("hello".utf8)))
            var clientData = Packet(destination: serverID, packetNumber: 2, body: .data([hello]), flags: handshake.flags).serialized()
            #expect(client.seal(&clientData))
            check("client-data", clientData)
            var received = expected["client-data"] ?? []
            #expect(server.open(&received) == .verified)
            #expect(try Packet.parse(received).body == .data([hello]))

            var serverData = Packet(destination: clientID, packetNumber: 1, body: .data([.ping]), flags: handshake.flags).serialized()
            #expect(server.seal(&serverData))
            check("server-data", serverData)
            var receivedPing = expected["server-data"] ?? []
            #expect(client.open(&receivedPing) == .verified)
            #expect(try Packet.parse(receivedPing).body == .data([.ping]))
            // The same datagram again is a replay.
            var again = expected["server-data"] ?? []
            #expect(client.open(&again) == .replayed)
        }
    }
}
