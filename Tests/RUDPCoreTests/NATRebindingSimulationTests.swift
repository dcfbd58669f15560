import RUDPCore
import RUDPImpairment
import RUDPSecurity
import RUDPSimulation
import Testing

/// Issue 11 point 5 on the deterministic network simulator: a client whose NAT binding changes
/// twice during an echo transfer, on a path with delay and loss, keeps its connection; every
/// message arrives once, intact and in order, and the server follows each new address once its
/// challenge is answered. The seed is printed; a failure replays with the same seed.
@Suite struct NATRebindingSimulationTests {
    @Test("NAT rebinding twice mid-transfer over a lossy simulated path", arguments: [nil, SecurityMode.authenticated, .encrypted])
    func rebindingTwiceMidTransfer(mode: SecurityMode?) throws {
        let seed: UInt64 = 2_024 &+ UInt64(mode.map { $0 == .encrypted ? 2 : 1 } ?? 0)
        let simulator = NetworkSimulator(seed: seed)
        let server = EndpointNode(
            configuration: EndpointConfiguration(acceptsConnections: true), seed: seed &+ 1,
            security: mode.map { SecurityTestSupport.security($0, seed: seed &+ 2) })
        server.onEvent = { id, event in
            if case .message(let m) = event { _ = try? server.endpoint.send(m.bytes, on: id) }  // echo
        }
        let client = EndpointNode(
            configuration: EndpointConfiguration(), seed: seed &+ 3,
            security: mode.map { SecurityTestSupport.security($0, seed: seed &+ 4) })
        var echoed: [[UInt8]] = []
        var closed: [CloseReason] = []
        client.onEvent = { _, event in
            if case .message(let m) = event { echoed.append(m.bytes) }
            if case .closed(let reason) = event { closed.append(reason) }
        }
        let serverAddress = simulator.addNode(server)
        let clientAddress = simulator.addNode(client)
        simulator.connectBidirectional(
            clientAddress, serverAddress,
            options: LinkOptions(delay: .milliseconds(15), jitter: .milliseconds(2), loss: 0.01))
        let context = "seed \(seed), \(mode.map { "\($0)" } ?? "plain")"

        let id = client.endpoint.connect(to: serverAddress.peerAddress, at: simulator.now)
        var generator = SeededGenerator(seed: seed)
        let messages = (0..<400).map { i in (0..<(500 + Int(generator.next() % 3_000))).map { UInt8(truncatingIfNeeded: $0 &* 3 &+ i) } }
        var sent = 0
        func feed() {
            while sent < messages.count, (try? client.endpoint.send(messages[sent], on: id)) != nil { sent += 1 }
            simulator.poll(clientAddress)
        }
        feed()
        #expect(
            simulator.runUntil(deadline: simulator.now + .seconds(5)) { server.endpoint.connectionCount == 1 && echoed.count > 20 },
            "\(context)")
        let serverID = try #require(server.endpoint.connectionIDs.first)

        var switchTimes: [Duration] = []
        for round in 0..<2 {
            let before = echoed.count
            let external = simulator.rebind(clientAddress, toward: serverAddress)
            let rebindAt = simulator.now
            let switched = simulator.runUntil(deadline: simulator.now + .seconds(10)) {
                server.endpoint.address(of: serverID) == external.peerAddress
            }
            #expect(switched, "\(context): round \(round): the server did not follow to \(external) (\(server.endpoint.statistics))")
            switchTimes.append(simulator.now - rebindAt)
            #expect(before < messages.count, "\(context): the transfer is still running at rebinding \(round)")
            // Let the transfer run on a while before the next rebinding.
            #expect(
                simulator.runUntil(deadline: simulator.now + .seconds(10)) {
                    feed()
                    return echoed.count >= min(messages.count, before + 60)
                }, "\(context)")
        }
        let done = simulator.runUntil(deadline: simulator.now + .seconds(60)) {
            feed()
            return echoed.count == messages.count
        }
        #expect(done, "\(context): \(echoed.count) of \(messages.count) echoed")
        let intact = echoed == messages
        #expect(intact, "\(context): every message once, intact, in order")
        #expect(closed.isEmpty, "\(context): \(closed)")
        let statistics = server.endpoint.statistics
        #expect(statistics.pathMigrations == 2, "\(context): \(statistics)")
        #expect(client.endpoint.address(of: id) == serverAddress.peerAddress, "a client never changes the server address")
        #expect(simulator.livelockDeferrals == 0)
        print(
            "simulated NAT rebinding (\(context)): \(messages.count) messages echoed by \(simulator.now); server followed after \(switchTimes.map { "\($0)" }.joined(separator: " and ")) (one-way delay 15 ms, 1% loss); \(statistics.pathValidationsStarted) validations, \(statistics.pathChallengesSent) challenges, \(statistics.pathMigrations) moves; \(simulator.unroutableCount) datagrams to a forgotten address"
        )
    }
}
