import Foundation
import Testing
import RUDPCore
import RUDPWire

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
        var withCookie = Packet(destination: .none, packetNumber: original.packetNumber,
                                body: .connect(params, cookie: [UInt8](repeating: 0xc5, count: 16))).serialized()
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

    @Test func pathFramesAreIgnoredByThisEngine() throws {
        let pair = Pair()
        let id = pair.connect()
        #expect(pair.drive { pair.serverConnection != nil })
        let server = try #require(pair.serverConnection)
        let peer = try #require(pair.client.connection(id)?.peerID)
        #expect(peer == server)
        // a DATA packet with only path frames: parsed, recorded, not ack-eliciting, no answer
        var bytes = Packet(destination: server, packetNumber: 1_000, body: .data([.pathChallenge(42), .pathResponse(7)])).serialized()
        Datagram.seal(&bytes)
        pair.collect()   // nothing else pending on the server
        #expect(pair.server.pollTransmit(at: pair.now) == nil)
        let received = try #require(pair.server.connection(server)).statistics.packetsReceived
        pair.server.handle(datagram: bytes, from: Pair.clientAddress, at: pair.now)
        let connection = try #require(pair.server.connection(server))
        #expect(connection.statistics.packetsReceived == received + 1)
        #expect(connection.statistics.malformedPacketsDropped == 0)
        #expect(connection.state == .established)
        #expect(pair.server.pollTransmit(at: pair.now) == nil, "no PATH_RESPONSE, no immediate ACK")
    }
}
