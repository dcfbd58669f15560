import Foundation
import Testing
import RUDPCore
import RUDPWire

/// The engine on wire version 2 before the plain retry policy exists: what it sends is exactly
/// the datagrams of `Specs/PROTOCOL.md` appendix A (the vectors of `datagrams.json`), a plain
/// CONNECT carries an empty cookie, a plain server ignores a cookie, and a plain RETRY reaching a
/// client is dropped and counted.
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

    @Test func plainRetryReachingAClientIsDroppedAndCounted() throws {
        let pair = Pair()
        let id = pair.connect()
        pair.collect()
        let connects = pair.toServer
        pair.toServer = []
        var retry = Packet(destination: id, packetNumber: 0, body: .retry(cookie: [UInt8](repeating: 7, count: 16))).serialized()
        Datagram.seal(&retry)
        #expect(retry.count == 40)
        pair.client.handle(datagram: retry, from: Pair.serverAddress, at: pair.now)
        let connection = try #require(pair.client.connection(id))
        #expect(connection.statistics.plainRetriesDropped == 1)
        #expect(connection.state == .connecting)
        // no CONNECT in answer to it: the RETRY changed nothing
        #expect(pair.client.pollTransmit(at: pair.now) == nil)
        #expect(pair.client.statistics.malformedDatagrams == 0 && pair.client.statistics.unroutableDatagrams == 0)
        // the handshake still completes with the original CONNECT
        pair.toServer = connects
        #expect(pair.drive { connection.state == .established && pair.serverConnection != nil })
        #expect(connection.statistics.plainRetriesDropped == 1)
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
