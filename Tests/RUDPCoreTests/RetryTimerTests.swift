import RUDPCore
import RUDPSecurity
import RUDPWire
import Testing

/// What a RETRY does to a connecting client (`Specs/PROTOCOL.md` sections 4.5, 7.2 client step 2
/// and 20.3 step 2), in both modes: the CONNECT retransmission timer restarts, the connect
/// timeout does not, and a RETRY with an empty cookie is dropped.
@Suite struct RetryTimerTests {
    /// A client endpoint (connect timeout 2 s) that sent its first CONNECT at time 0, and the
    /// RETRY a server that always asks for a cookie sent for it; `mode` nil is plain mode.
    static func clientAndRetry(_ mode: SecurityMode?) throws -> (client: Endpoint, id: ConnectionID, retry: [UInt8]) {
        var connection = ConnectionConfiguration()
        connection.connectTimeout = .seconds(2)
        let client = Endpoint(
            configuration: EndpointConfiguration(connection: connection), randomness: SeededGenerator(seed: 21),
            security: mode.map { SecurityTestSupport.security($0, seed: 22) })
        var serverConfiguration = EndpointConfiguration(acceptsConnections: true)
        serverConfiguration.retryPolicy = .always
        let server = Endpoint(
            configuration: serverConfiguration, randomness: SeededGenerator(seed: 23),
            security: mode.map { SecurityTestSupport.security($0, seed: 24) })
        let id = client.connect(to: 0, at: .zero)
        let connect = try #require(client.pollTransmit(at: .zero)).datagram
        server.handle(datagram: connect, from: 1, at: .zero)
        let retry = try #require(server.pollTransmit(at: .zero)).datagram
        #expect(retry[1] == PacketType.retry.rawValue)
        return (client, id, retry)
    }

    @Test("a RETRY restarts the CONNECT retransmission timer but never the connect timeout", arguments: [nil, SecurityMode.encrypted])
    func retryRestartsTheTimerNotTheTimeout(mode: SecurityMode?) throws {
        let (client, id, retry) = try Self.clientAndRetry(mode)
        var connectTimes: [Duration] = [.zero]
        var closed: (reason: CloseReason, at: Duration)?
        // Every 50 ms for 3 s; the RETRY arrives at 600 ms, and again every 300 ms until 1,800 ms
        // (a replayed or forged RETRY would do the same).
        let retryTimes: Set<Int> = [600, 900, 1_200, 1_500, 1_800]
        for ms in stride(from: 50, through: 3_000, by: 50) {
            let now = Timestamp.zero + .milliseconds(ms)
            if retryTimes.contains(ms) { client.handle(datagram: retry, from: 0, at: now) }
            client.handleTimeout(at: now)
            while let (datagram, _) = client.pollTransmit(at: now) {
                if datagram[1] == PacketType.connect.rawValue { connectTimes.append(now - .zero) }
            }
            while let (_, event) = client.pollEvent() {
                if case .closed(let reason) = event, closed == nil { closed = (reason, now - .zero) }
            }
        }
        // CONNECTs at 0 and 250 ms (the next would be due at 750); the RETRY at 600 ms sends one at
        // once and restarts the timer: the next one initial RTO later, at 850 ms.
        #expect(
            Array(connectTimes.prefix(4)) == [.zero, .milliseconds(250), .milliseconds(600), .milliseconds(850)],
            "\(String(describing: mode)): \(connectTimes)")
        #expect(connectTimes.contains(.milliseconds(1_800)), "\(connectTimes)")
        // The RETRYs did not prolong the attempt: it fails at the connect timeout, 2 s after the
        // first CONNECT.
        #expect(closed?.reason == .connectTimedOut, "\(String(describing: closed))")
        #expect(closed?.at == .seconds(2), "\(String(describing: closed))")
        #expect(client.connection(id) == nil)
    }

    @Test("a RETRY with an empty cookie is dropped", arguments: [nil, SecurityMode.authenticated])
    func emptyCookieIsDropped(mode: SecurityMode?) throws {
        let (client, id, _) = try Self.clientAndRetry(mode)
        let security = mode.map { SecurityTestSupport.security($0, seed: 24) }
        var retry = Packet(destination: id, packetNumber: 0, body: .retry(cookie: []), flags: security?.handshake.flags ?? .plain)
            .serialized()
        if let security { security.handshake.appendConnectKeyTag(&retry) } else { Datagram.seal(&retry) }
        let now = Timestamp.zero + .milliseconds(100)
        client.handle(datagram: retry, from: 0, at: now)
        #expect(client.pollTransmit(at: now) == nil, "no CONNECT is sent for it")
        let statistics = try #require(client.connection(id)).statistics
        #expect(statistics.retriesReceived == 0)
        #expect((mode == nil ? statistics.plainRetriesDropped : statistics.malformedPacketsDropped) == 1)
        // The retransmission timer was not restarted: the next CONNECT is still due at 250 ms.
        #expect(client.nextDeadline() == .zero + .milliseconds(250))
    }
}
