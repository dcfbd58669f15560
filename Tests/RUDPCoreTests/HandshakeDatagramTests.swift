import RUDPCore
import RUDPSecurity
import RUDPWire
import Testing

/// Rules of `Specs/PROTOCOL.md` version 2.0 about whole handshake datagrams that had no engine
/// test (`Specs/CHANGES.md`): a version-1 datagram gets no answer and creates nothing (section
/// 3.2), and the handshake datagrams, whose sizes the specification fixes, are accepted whatever
/// the receiver's max_datagram_size (4.3): a secure CONNECT is 1,200 bytes even between endpoints
/// that announce 256.
@Suite struct HandshakeDatagramTests {
    @Test func aVersion1ConnectGetsNoAnswer() throws {
        let connect = try WireVersion2EngineTests.datagramVector("datagram-version-1-connect")
        #expect(connect[0] == 0x01)
        let pair = Pair()
        pair.server.handle(datagram: connect, from: Pair.clientAddress, at: pair.now)
        #expect(pair.server.pollTransmit(at: pair.now) == nil, "a version-1 CONNECT was answered")
        #expect(pair.server.connectionCount == 0)
        #expect(pair.server.statistics.malformedDatagrams == 1)
    }

    @Test(arguments: [SecurityMode.authenticated, .encrypted])
    func theSecureHandshakeIgnoresASmallMaxDatagramSize(mode: SecurityMode) throws {
        var config = ConnectionConfiguration()
        config.maxDatagramSize = 256
        let pair = SecurityTestSupport.pair(mode, clientConfig: config, serverConfig: config)
        var sizes: [Int] = []
        pair.filter = { datagram, _ in
            sizes.append(datagram.count)
            return true
        }
        let c = pair.connect()
        #expect(pair.drive { pair.serverConnection != nil && pair.client.connection(c)?.state == .established })
        #expect(sizes.prefix(4) == [1_200, 60, 1_200, 94], "CONNECT, RETRY, CONNECT, ACCEPT: \(sizes)")
        try pair.client.send([UInt8](repeating: 1, count: 1_000), on: c)
        #expect(pair.drive { pair.serverMessages.count == 1 })
        #expect(sizes.dropFirst(4).allSatisfy { $0 <= 256 }, "after the handshake every datagram fits mds 256: \(sizes)")
    }
}
