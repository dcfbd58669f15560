import Foundation
import RUDPWire
import Testing

@testable import RUDPCore

/// The engine on wire version 2: what it sends is exactly the datagrams of `Specs/PROTOCOL.md`
/// appendix A (the vectors of `datagrams.json`), a plain CONNECT carries an empty cookie, a plain
/// server that does not require a cookie ignores an invalid one, and a plain client answers a
/// RETRY with a CONNECT carrying its cookie.
@Suite struct WireVersion2EngineTests {
    static let clientID = ConnectionID(0x0123_4567_89ab_cdef)
    static let serverID = ConnectionID(0xfedc_ba98_7654_3210)

    /// The whole datagram of a vector in `Specs/vectors/datagrams.json`.
    static func datagramVector(_ name: String) throws -> [UInt8] {
        let url = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Specs/vectors/datagrams.json")
        let root = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let vectors = try #require(root["vectors"] as? [[String: Any]])
        let vector = try #require(vectors.first { $0["name"] as? String == name }, "no vector \(name)")
        let hex = try #require(vector["hex"] as? String).filter { $0 != " " && $0 != "|" }
        var bytes: [UInt8] = []
        var i = hex.startIndex
        while i < hex.endIndex {
            let j = hex.index(i, offsetBy: 2)
            bytes.append(try #require(UInt8(hex[i..<j], radix: 16)))
            i = j
        }
        return bytes
    }

    @Test func appendixAIsWhatTheEngineSends() throws {
        let config = ConnectionConfiguration()
        let client = Connection(clientWith: config, localID: Self.clientID, at: .zero)
        let connect = try #require(client.pollTransmit(at: .zero))
        #expect(connect == (try Self.datagramVector("datagram-connect-default-parameters")))
        #expect(connect.count == 51)

        guard case .connect(let params, let cookie) = try Datagram.open(connect).body else {
            Issue.record("the client's first datagram is not a plain CONNECT")
            return
        }
        #expect(cookie.isEmpty)
        let server = Connection(serverWith: config, localID: Self.serverID, connect: params, at: .zero)
        let accept = try #require(server.pollTransmit(at: .zero))
        #expect(accept == (try Self.datagramVector("datagram-accept-default-parameters")))

        client.handle(datagram: accept, at: .zero)
        #expect(client.state == .established)
        let first = try #require(client.pollTransmit(at: .zero))
        #expect(first == (try Self.datagramVector("datagram-first-client-packet")))

        server.handle(datagram: first, at: .zero)
        #expect(server.state == .established)
        let reply = try #require(server.pollTransmit(at: .zero))
        #expect(reply == (try Self.datagramVector("datagram-first-server-reply")))
    }

    @Test func onlyTheNewestOfSeveralChallengesIsAnswered() throws {
        let pair = Pair()
        let id = pair.connect()
        #expect(pair.drive { pair.serverConnection != nil })
        let server = try #require(pair.serverConnection)
        pair.collect()
        // The server's engine answers like a client would: one PATH_RESPONSE for the newest.
        for (pn, frames) in [(1_000 as UInt64, [Frame.pathChallenge(1), .pathChallenge(2)]), (1_001, [.pathChallenge(3)])] {
            var bytes = Packet(destination: server, packetNumber: pn, body: .data(frames)).serialized()
            Datagram.seal(&bytes)
            pair.server.handle(datagram: bytes, from: Pair.clientAddress, at: pair.now)
        }
        var responses: [UInt64] = []
        while let (datagram, _) = pair.server.pollTransmit(at: pair.now) {
            guard case .data(let frames) = try Datagram.open(datagram).body else { continue }
            for case .pathResponse(let data) in frames { responses.append(data) }
        }
        #expect(responses == [3])
        #expect(pair.server.connection(server)?.statistics.pathChallengesReceived == 3)
        _ = id
    }

    /// The datagrams of `Specs/PROTOCOL.md` appendix B: appendix A's connection, then the client's
    /// NAT binding changes from address 1 to address 2 and it sends a message; the server
    /// challenges address 2 (data from its random source), the client answers, the server moves.
    static let challengeData: UInt64 = 0x7061_7468_6368_6b31  // "pathchk1"

    @Test func appendixBIsWhatTheEngineSends() throws {
        let client = Endpoint(configuration: EndpointConfiguration(), randomness: ScriptedRandom([0x0123_4567_89ab_cdef]))
        var serverConfiguration = EndpointConfiguration(acceptsConnections: true)
        serverConfiguration.workerIndex = 15
        let server = Endpoint(
            configuration: serverConfiguration,
            randomness: ScriptedRandom([0x0edc_ba98_7654_3210, Self.challengeData]))
        let now = Timestamp.zero
        let id = client.connect(to: 0, at: now)
        #expect(id == Self.clientID)
        // Appendix A, through the endpoints: CONNECT, ACCEPT, the first DATA and the reply.
        var exchanged: [[UInt8]] = []
        for _ in 0..<2 {
            while let (d, _) = client.pollTransmit(at: now) { exchanged.append(d); server.handle(datagram: d, from: 1, at: now) }
            while let (d, to) = server.pollTransmit(at: now) {
                exchanged.append(d); #expect(to == 1); client.handle(datagram: d, from: 0, at: now)
            }
        }
        let appendixA = try [
            "datagram-connect-default-parameters", "datagram-accept-default-parameters",
            "datagram-first-client-packet", "datagram-first-server-reply",
        ].map(Self.datagramVector)
        #expect(exchanged == appendixA)
        #expect(server.connectionIDs == [Self.serverID])

        // The NAT rebinds: the client's next packet, a 2-byte message, arrives from address 2.
        try client.send(Array("hi".utf8), on: id)
        let message = try #require(client.pollTransmit(at: now)).datagram
        #expect(client.pollTransmit(at: now) == nil)
        server.handle(datagram: message, from: 2, at: now)
        #expect(server.candidateAddress(of: Self.serverID) == 2 && server.address(of: Self.serverID) == 1)
        let (challenge, challengeTo) = try #require(server.pollTransmit(at: now))
        let (ack, ackTo) = try #require(server.pollTransmit(at: now))
        #expect(server.pollTransmit(at: now) == nil)
        #expect(challengeTo == 2 && ackTo == 1, "the challenge to the candidate, everything else to the current address")

        // The client gets the challenge (at address 2) and answers at once; the ACK sent to
        // address 1 is lost.
        client.handle(datagram: challenge, from: 0, at: now)
        let response = try #require(client.pollTransmit(at: now)).datagram
        server.handle(datagram: response, from: 2, at: now)
        #expect(server.address(of: Self.serverID) == 2 && server.candidateAddress(of: Self.serverID) == nil)
        #expect(server.statistics.pathMigrations == 1)
        let vectors = try [
            "datagram-rebound-client-message", "datagram-path-challenge", "datagram-ack-to-old-address",
            "datagram-path-response",
        ].map(Self.datagramVector)
        #expect([message, challenge, ack, response] == vectors)
        // Nothing was in flight at the server: it sends nothing more. The client's retransmission
        // timer re-sends the message; the server acknowledges it, now to address 2.
        #expect(server.pollTransmit(at: now) == nil)
        let retransmitAt = try #require(client.nextDeadline())
        client.handleTimeout(at: retransmitAt)
        let again = try #require(client.pollTransmit(at: retransmitAt)).datagram
        server.handle(datagram: again, from: 2, at: retransmitAt)
        let (answer, answerTo) = try #require(server.pollTransmit(at: retransmitAt))
        #expect(answerTo == 2)
        client.handle(datagram: answer, from: 0, at: retransmitAt)
        var acknowledged = false
        while let (_, event) = client.pollEvent() { if case .acknowledged = event { acknowledged = true } }
        #expect(acknowledged)
    }

    @Test func plainServerIgnoresTheCookieOfAConnect() throws {
        let pair = Pair()
        let id = pair.connect()
        pair.collect()
        #expect(pair.toServer.count == 1)
        // the client's CONNECT, re-sent with a 16-byte cookie the server never issued
        let original = try Datagram.open(pair.toServer[0])
        guard case .connect(let params, let cookie) = original.body else {
            Issue.record("not a CONNECT: \(original)")
            return
        }
        #expect(cookie.isEmpty && pair.toServer[0].count == 51)
        var withCookie = Packet(
            destination: .none, packetNumber: original.packetNumber,
            body: .connect(params, cookie: [UInt8](repeating: 0xc5, count: 16))
        ).serialized()
        Datagram.seal(&withCookie)
        #expect(withCookie.count == 67)
        pair.toServer = [withCookie]
        #expect(pair.drive { pair.client.connection(id)?.state == .established && pair.serverConnection != nil })
        #expect(pair.server.statistics.connectionsAccepted == 1 && pair.server.statistics.malformedDatagrams == 0)
    }

    @Test func plainRetryMakesTheClientConnectAgainWithTheCookie() throws {
        let pair = Pair()
        let id = pair.connect()
        pair.collect()
        let connects = pair.toServer
        pair.toServer = []
        let cookie = [UInt8](repeating: 7, count: 16)
        func retry(to destination: ConnectionID, cookie: [UInt8]) -> [UInt8] {
            var bytes = Packet(destination: destination, packetNumber: 0, body: .retry(cookie: cookie)).serialized()
            Datagram.seal(&bytes)
            return bytes
        }
        #expect(retry(to: id, cookie: cookie).count == 40)
        // Dropped and counted: an empty cookie, another connection ID (unroutable).
        pair.client.handle(datagram: retry(to: id, cookie: []), from: Pair.serverAddress, at: pair.now)
        pair.client.handle(datagram: retry(to: ConnectionID(id.rawValue ^ 1), cookie: cookie), from: Pair.serverAddress, at: pair.now)
        let connection = try #require(pair.client.connection(id))
        #expect(connection.statistics.plainRetriesDropped == 1)
        #expect(pair.client.statistics.unroutableDatagrams == 1)
        #expect(pair.client.pollTransmit(at: pair.now) == nil)
        // A valid RETRY: CONNECT again at once, carrying the cookie.
        pair.now = pair.now + .milliseconds(200)
        pair.client.handle(datagram: retry(to: id, cookie: cookie), from: Pair.serverAddress, at: pair.now)
        #expect(connection.statistics.retriesReceived == 1)
        let again = try #require(pair.client.pollTransmit(at: pair.now))
        guard case .connect(_, let echoed) = try Datagram.open(again.datagram).body else {
            Issue.record("not a CONNECT")
            return
        }
        #expect(echoed == cookie && again.datagram.count == 67)
        // The retransmission timer restarted: the next CONNECT one initial RTO after this one.
        #expect(connection.nextDeadline() == pair.now + .milliseconds(250))
        // The handshake completes (this server ignores a cookie it does not require).
        pair.toServer = connects
        #expect(pair.drive { connection.state == .established && pair.serverConnection != nil })
        // Once established, a RETRY is dropped and counted.
        pair.client.handle(datagram: retry(to: id, cookie: cookie), from: Pair.serverAddress, at: pair.now)
        #expect(connection.statistics.plainRetriesDropped == 2 && connection.statistics.retriesReceived == 1)
    }

    @Test func aPathChallengeIsAnsweredAndAStrayResponseIgnored() throws {
        let pair = Pair()
        let id = pair.connect()
        #expect(pair.drive { pair.serverConnection != nil })
        let server = try #require(pair.serverConnection)
        let peer = try #require(pair.client.connection(id)?.peerID)
        #expect(peer == server)
        // a DATA packet with only path frames: parsed, recorded, not ack-eliciting
        var bytes = Packet(destination: server, packetNumber: 1_000, body: .data([.pathChallenge(42), .pathResponse(7)])).serialized()
        Datagram.seal(&bytes)
        pair.collect()  // nothing else pending on the server
        #expect(pair.server.pollTransmit(at: pair.now) == nil)
        let received = try #require(pair.server.connection(server)).statistics.packetsReceived
        pair.server.handle(datagram: bytes, from: Pair.clientAddress, at: pair.now)
        let connection = try #require(pair.server.connection(server))
        #expect(connection.statistics.packetsReceived == received + 1)
        #expect(connection.statistics.malformedPacketsDropped == 0)
        #expect(connection.state == .established)
        // The challenge is answered at once, to the current address; the response that echoes
        // no challenge of this side is ignored and counted. Nothing else follows.
        let (answer, destination) = try #require(pair.server.pollTransmit(at: pair.now))
        #expect(destination == Pair.clientAddress)
        let packet = try Datagram.open(answer)
        guard case .data(let frames) = packet.body else { Issue.record("not a DATA packet: \(packet)"); return }
        #expect(frames.first == .pathResponse(42))
        #expect(!frames.contains { $0.isAckEliciting })
        #expect(connection.statistics.pathResponsesSent == 1 && connection.statistics.pathChallengesReceived == 1)
        #expect(connection.statistics.pathResponsesIgnored == 1)
        #expect(pair.server.pollTransmit(at: pair.now) == nil)
        #expect(pair.server.candidateAddress(of: server) == nil && pair.server.statistics.pathValidationsStarted == 0)
    }
}
