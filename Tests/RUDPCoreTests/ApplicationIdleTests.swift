import RUDPCore
import RUDPWire
import Testing

/// The application idle limit: keep-alives alone do not hold a connection open.
@Suite struct ApplicationIdleTests {
    static func configuration(limit: Duration?) -> ConnectionConfiguration {
        var configuration = ConnectionConfiguration()
        configuration.applicationIdleTimeout = limit
        configuration.keepAliveInterval = .milliseconds(500)
        return configuration
    }

    @Test("keep-alives alone do not hold the connection: CLOSE(application idle) after the limit")
    func closesAfterTheLimit() throws {
        let pair = Pair(clientConfig: Self.configuration(limit: nil), serverConfig: Self.configuration(limit: .seconds(3)))
        let c = pair.connect()
        #expect(pair.drive { pair.serverConnection != nil })
        let start = pair.now
        try pair.client.send([1, 2, 3], on: c)
        #expect(pair.drive(for: .seconds(60)) { pair.closeReason(pair.serverEvents) != nil })
        #expect(pair.closeReason(pair.serverEvents) == .applicationIdle)
        let elapsed = pair.now - start
        #expect(elapsed >= .seconds(3) && elapsed < .seconds(4), "closed after \(elapsed)")
        #expect(pair.drive(for: .seconds(5)) { pair.closeReason(pair.clientEvents) != nil })
        #expect(pair.closeReason(pair.clientEvents) == .peerClosed(.applicationIdle, "application idle"))
    }

    @Test("messages either way keep it open")
    func messagesKeepItOpen() throws {
        let pair = Pair(clientConfig: Self.configuration(limit: .seconds(2)), serverConfig: Self.configuration(limit: .seconds(2)))
        let c = pair.connect()
        #expect(pair.drive { pair.serverConnection != nil })
        let s = try #require(pair.serverConnection)
        for i in 0..<10 {
            // Alternate: the client sends, then the server sends; each side sees a message every 1.5 s.
            if i % 2 == 0 { try pair.client.send([UInt8(i)], on: c) } else { try pair.server.send([UInt8(i)], on: s) }
            _ = pair.drive(for: .milliseconds(1_500)) { false }
        }
        #expect(pair.closeReason(pair.clientEvents) == nil && pair.closeReason(pair.serverEvents) == nil)
        #expect(pair.drive(for: .seconds(10)) { pair.closeReason(pair.clientEvents) != nil })
        #expect(
            pair.closeReason(pair.clientEvents) == .applicationIdle
                || pair.closeReason(pair.clientEvents) == .peerClosed(.applicationIdle, "application idle"))
    }

    @Test("a message in a long transfer keeps the sender active")
    func longTransferIsActivity() throws {
        var slow = Self.configuration(limit: .seconds(1))
        slow.maxMessageSize = 4 << 20
        slow.receiveWindow = 4 << 20
        let pair = Pair(clientConfig: slow, serverConfig: slow)
        pair.latency = .milliseconds(100)
        let c = pair.connect()
        #expect(pair.drive { pair.serverConnection != nil })
        // 3 MiB over a 100 ms path takes several seconds of slow start: no message is complete
        // for longer than the limit, but fragments flow.
        try pair.client.send(Array(repeating: 7, count: 3 << 20), on: c)
        #expect(pair.drive(for: .seconds(60)) { pair.serverMessages.count == 1 })
        #expect(pair.closeReason(pair.clientEvents) == nil && pair.closeReason(pair.serverEvents) == nil)
    }

    @Test("zero or negative limits are invalid")
    func validation() {
        var configuration = ConnectionConfiguration()
        configuration.applicationIdleTimeout = .zero
        #expect(configuration.validate() != nil)
        configuration.applicationIdleTimeout = .seconds(1)
        #expect(configuration.validate() == nil)
    }
}
