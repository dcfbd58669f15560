import RUDPCore
import RUDPImpairment
import RUDPSecurity
import RUDPSimulation
import RUDPWire
import Testing

/// Issue 11 points 4 and 7: one source cannot take the whole table, replayed CONNECTs create
/// nothing, and an off-path attacker (without the connection IDs) cannot end or move a
/// connection. Seeded; failures print the seed.
@Suite struct EndpointAttackTests {
    static func security(_ mode: SecurityMode?, seed: UInt64) -> EndpointSecurity? {
        mode.map { SecurityTestSupport.security($0, seed: seed) }
    }

    @Test("one source cannot take the whole table; other clients still get in", arguments: [nil, SecurityMode.encrypted])
    func oneSourceCannotTakeTheTable(mode: SecurityMode?) {
        let seed: UInt64 = 21
        let simulator = NetworkSimulator(seed: seed)
        var serverConfiguration = EndpointConfiguration(acceptsConnections: true)
        serverConfiguration.maxConnections = 1_500  // a table the one source could otherwise fill
        let server = EndpointNode(configuration: serverConfiguration, seed: seed &+ 1, security: Self.security(mode, seed: seed &+ 2))
        let hog = EndpointNode(configuration: EndpointConfiguration(), seed: seed &+ 3, security: Self.security(mode, seed: seed &+ 4))
        var hogConnected = 0, hogRefused = 0
        hog.onEvent = { _, event in
            if event == .connected { hogConnected += 1 }
            if case .closed(let reason) = event, reason.peerCode == .refused { hogRefused += 1 }
        }
        let serverAddress = simulator.addNode(server)
        let hogAddress = simulator.addNode(hog)
        simulator.connectBidirectional(hogAddress, serverAddress, options: LinkOptions(delay: .milliseconds(5)))
        // The hog opens 2,000 connections from one address (one socket) and keeps them alive.
        for _ in 0..<2_000 { _ = hog.endpoint.connect(to: serverAddress.peerAddress, at: simulator.now) }
        simulator.poll(hogAddress)
        simulator.run(for: .seconds(10))
        #expect(hogConnected == serverConfiguration.maxConnectionsPerAddress, "seed \(seed), \(String(describing: mode))")
        #expect(hogRefused + hogConnected == 2_000, "seed \(seed): refused clients are told so (\(hogRefused))")
        #expect(server.endpoint.statistics.refusedAddressLimit >= 2_000 - 1_024, "seed \(seed)")
        // Others (three hosts in the same /24-like prefix, one elsewhere) still connect.
        var others: [(EndpointNode, SimulatedAddress, ConnectionID)] = []
        for index in 0..<4 {
            let node = EndpointNode(
                configuration: EndpointConfiguration(), seed: seed &+ 10 &+ UInt64(index),
                security: Self.security(mode, seed: seed &+ 20 &+ UInt64(index)))
            let address = simulator.addNode(node)
            simulator.connectBidirectional(address, serverAddress, options: LinkOptions(delay: .milliseconds(5)))
            others.append((node, address, node.endpoint.connect(to: serverAddress.peerAddress, at: simulator.now)))
            simulator.poll(address)
        }
        #expect(
            simulator.runUntil(deadline: simulator.now + .seconds(5)) {
                others.allSatisfy { $0.0.endpoint.connection($0.2)?.state == .established }
            }, "seed \(seed)")
        // The hog's connections stay (keep-alives answered): it holds its share, never more.
        simulator.run(for: .seconds(20))
        #expect(hog.endpoint.connectionCount == 1_024, "seed \(seed)")
    }

    @Test("a replayed CONNECT after the connection ended creates nothing", arguments: [nil, SecurityMode.authenticated])
    func replayedConnectsCreateNothing(mode: SecurityMode?) throws {
        let pair = Pair(seed: 31, clientSecurity: Self.security(mode, seed: 1), serverSecurity: Self.security(mode, seed: 2))
        var connects: [[UInt8]] = []
        pair.filter = { datagram, toServer in
            if toServer && packetType(datagram) == .connect { connects.append(datagram) }
            return true
        }
        let c = pair.connect()
        #expect(pair.drive { pair.serverConnection != nil })
        try pair.client.send([1], on: c)
        pair.client.close(c, at: pair.now)
        #expect(pair.drive(for: .seconds(10)) { pair.server.connectionCount == 0 && pair.client.connectionCount == 0 })
        let accepted = pair.server.statistics.connectionsAccepted
        for _ in 0..<5 {
            for connect in connects { pair.server.handle(datagram: connect, from: Pair.clientAddress, at: pair.now) }
        }
        _ = pair.drive(for: .seconds(1)) { false }
        #expect(pair.server.connectionCount == 0)
        #expect(pair.server.statistics.connectionsAccepted == accepted)
        #expect(pair.server.statistics.replayedHandshakes >= 5)
    }

    @Test("no connection is lost to off-path datagrams for guessed connection IDs", arguments: [nil, SecurityMode.encrypted])
    func offPathAttackerLosesNoConnection(mode: SecurityMode?) {
        let seed: UInt64 = 41
        let simulator = NetworkSimulator(seed: seed)
        let server = EndpointNode(
            configuration: EndpointConfiguration(acceptsConnections: true), seed: seed &+ 1,
            security: Self.security(mode, seed: seed &+ 2))
        server.onEvent = { id, event in
            if case .message(let m) = event { _ = try? server.endpoint.send(m.bytes, on: id) }  // echo
        }
        let client = EndpointNode(configuration: EndpointConfiguration(), seed: seed &+ 3, security: Self.security(mode, seed: seed &+ 4))
        var echoed = 0
        var closed: [CloseReason] = []
        client.onEvent = { _, event in
            if case .message = event { echoed += 1 }
            if case .closed(let reason) = event { closed.append(reason) }
        }
        // The address numbers are known in advance: server 0, client 1 (the order of addNode).
        let clientAddress = SimulatedAddress(node: 1), serverAddress = SimulatedAddress(node: 0)
        let bursts = [SpoofedFloodBurst(start: .milliseconds(100), count: 60_000, duration: .seconds(12))]
        var atServer = SpoofedFloodOptions(seed: seed &+ 5)
        atServer.bursts = bursts
        atServer.kind = .guessedData(workerIndex: 0, spoofing: [clientAddress])
        var atServerRandom = SpoofedFloodOptions(seed: seed &+ 6)
        atServerRandom.bursts = bursts
        atServerRandom.kind = .guessedData(workerIndex: 0, spoofing: [])
        var atClient = SpoofedFloodOptions(seed: seed &+ 7)
        atClient.bursts = bursts
        atClient.kind = .guessedData(workerIndex: 0, spoofing: [serverAddress])
        let serverFloods = [SpoofedFlood(options: atServer), SpoofedFlood(options: atServerRandom)]
        let clientFlood = SpoofedFlood(options: atClient)
        #expect(simulator.addNode(FloodedNode(FloodedNode(server, flood: serverFloods[0]), flood: serverFloods[1])) == serverAddress)
        #expect(simulator.addNode(FloodedNode(client, flood: clientFlood)) == clientAddress)
        simulator.connectBidirectional(clientAddress, serverAddress, options: LinkOptions(delay: .milliseconds(10)))
        let ids = (0..<20).map { _ in client.endpoint.connect(to: serverAddress.peerAddress, at: simulator.now) }
        simulator.poll(clientAddress)
        // Ten rounds of a message on every connection, a second apart, while the floods run.
        for round in 0..<10 {
            for id in ids { _ = try? client.endpoint.send(Array("round \(round)".utf8), on: id) }
            simulator.poll(clientAddress)
            simulator.run(for: .seconds(1))
        }
        simulator.run(for: .seconds(5))
        #expect(closed.isEmpty, "seed \(seed): connections ended: \(closed)")
        #expect(echoed == 200, "seed \(seed): \(echoed) of 200 echoes")
        #expect(
            ids.allSatisfy {
                client.endpoint.connection($0)?.state == .established && client.endpoint.address(of: $0) == serverAddress.peerAddress
            })
        #expect(
            server.endpoint.connectionIDs.allSatisfy { server.endpoint.address(of: $0) == clientAddress.peerAddress },
            "seed \(seed): a server connection was moved")
        let dropped = server.endpoint.statistics.unroutableDatagrams + server.endpoint.statistics.malformedDatagrams
        #expect(dropped >= 120_000, "seed \(seed): \(dropped) of the 120,000 guessed datagrams dropped at the server")
        #expect(client.endpoint.statistics.unroutableDatagrams + client.endpoint.statistics.malformedDatagrams >= 60_000)
    }
}
