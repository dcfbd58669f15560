import RUDPSecurity
import RUDPWire
import Testing

@testable import RUDPCore

/// Normative sentences of wire version 2 and reference behaviours that `Specs/CHANGES.md` listed
/// as "Not covered" (issue 12 point 10), each checked here against the engine.
@Suite struct SpecCoverageTests {}

// MARK: - Entry 3: a secure RETRY outside Connecting

extension SpecCoverageTests {
    /// A RETRY that carries the server's key (tag valid) for the client's connection ID.
    static func forgedSecureRetry(to destination: ConnectionID, cookie: [UInt8], with handshake: any HandshakeSecurity) -> [UInt8] {
        var retry = Packet(destination: destination, packetNumber: 0, body: .retry(cookie: cookie), flags: handshake.flags).serialized()
        handshake.appendConnectKeyTag(&retry)
        return retry
    }

    /// PROTOCOL.md 4.5 and 20.2: a RETRY is taken only by a client in Connecting. In secure mode
    /// one whose connect-key tag verifies (the server's own RETRY replayed, or a new one made with
    /// the key) is dropped by a client that is Established or Closing and by a server connection
    /// (Accepting or Established): no cookie stored, no CONNECT sent, the connection goes on.
    @Test(arguments: [SecurityMode.authenticated, .encrypted])
    func aVerifiedSecureRetryOutsideConnectingIsDropped(mode: SecurityMode) throws {
        let pair = SecurityTestSupport.pair(mode, seed: 3)
        let keyHolder = SecurityTestSupport.security(mode, seed: 77).handshake  // the same key
        var retries: [[UInt8]] = []
        var connectsAfterHandshake = 0
        var handshakeDone = false
        pair.filter = { datagram, toServer in
            if !toServer && packetType(datagram) == .retry { retries.append(datagram) }
            if toServer && handshakeDone && packetType(datagram) == .connect { connectsAfterHandshake += 1 }
            return true
        }
        let c = pair.connect()

        // The handshake by hand, to stop with the server connection in Accepting.
        pair.step()  // CONNECT → RETRY
        pair.step()  // RETRY → CONNECT with the cookie
        pair.toServer.forEach { pair.server.handle(datagram: $0, from: Pair.clientAddress, at: pair.now) }
        pair.toServer = []
        let s = try #require(pair.server.connectionIDs.first)
        let serverConnection = try #require(pair.server.connection(s))
        #expect(serverConnection.state == .accepting)
        let retry = try #require(retries.first)
        #expect(keyHolder.verifyConnectKeyTag(retry), "the server's RETRY carries a valid tag")

        // Server, Accepting: a RETRY for its own ID with a valid tag.
        let toServerID = Self.forgedSecureRetry(to: s, cookie: Array(repeating: 0x5A, count: 40), with: keyHolder)
        #expect(keyHolder.verifyConnectKeyTag(toServerID))
        pair.server.handle(datagram: toServerID, from: Pair.clientAddress, at: pair.now)
        #expect(serverConnection.statistics.duplicatePacketsDropped == 1)
        #expect(serverConnection.statistics.retriesReceived == 0)
        #expect(serverConnection.state == .accepting)

        // Both Established.
        try pair.client.send(Array("first".utf8), on: c)
        #expect(pair.drive { pair.serverMessages.count == 1 })
        let client = try #require(pair.client.connection(c))
        #expect(client.state == .established && serverConnection.state == .established)
        #expect(client.statistics.retriesReceived == 1)
        handshakeDone = true
        let dropped = client.statistics.duplicatePacketsDropped

        // Client, Established: the server's RETRY replayed, and a new one with another cookie.
        let fresh = Self.forgedSecureRetry(to: c, cookie: Array(repeating: 0xC3, count: 32), with: keyHolder)
        pair.toClient += [retry, fresh]
        pair.step()
        #expect(client.statistics.duplicatePacketsDropped == dropped + 2)
        #expect(client.statistics.retriesReceived == 1)
        #expect(client.statistics.authenticationFailures == 0, "dropped for the state, not for the tag")
        // Server, Established.
        pair.server.handle(datagram: toServerID, from: Pair.clientAddress, at: pair.now)
        #expect(serverConnection.statistics.duplicatePacketsDropped == 2)
        #expect(serverConnection.statistics.retriesReceived == 0)

        // The connection goes on both ways.
        try pair.server.send(Array("second".utf8), on: s)
        #expect(pair.drive { pair.clientMessages.count == 1 })
        #expect(pair.clientMessages.first?.bytes == Array("second".utf8))

        // Client, Closing (a graceful close asked, CLOSE sent): still dropped.
        _ = pair.drive(for: .seconds(1)) { false }  // everything acknowledged
        pair.filter = { datagram, toServer in
            if toServer && packetType(datagram) == .connect { connectsAfterHandshake += 1 }
            return toServer ? false : true  // the server never sees the CLOSE: the client stays in Closing
        }
        pair.client.close(c, at: pair.now)
        pair.collect()
        #expect(client.state == .closing)
        pair.client.handle(datagram: fresh, from: Pair.serverAddress, at: pair.now)
        #expect(client.statistics.duplicatePacketsDropped == dropped + 3)
        #expect(client.statistics.retriesReceived == 1)
        pair.collect()
        #expect(connectsAfterHandshake == 0, "no CONNECT after the handshake")
        #expect(pair.closeReason(pair.clientEvents) == nil)
    }
}

// MARK: - Entry 26: the memory of ended handshakes

extension SpecCoverageTests {
    /// PROTOCOL.md 7.2 server step 1.1 and 20.9, reference behaviour of entry 26: a plain server
    /// remembers the (address, client ID) of the last 4,096 handshakes whose connection ended (here
    /// half-open connections that timed out), and forgets the oldest first.
    @Test func theMemoryOfEndedHandshakesForgetsTheOldestBeyond4096() {
        var configuration = EndpointConfiguration(acceptsConnections: true)
        #expect(configuration.endedHandshakeMemory == 4_096, "the reference's default")
        configuration.retryPolicy = .never
        configuration.maxHalfOpenConnections = 5_000  // none evicted: an evicted one is not remembered
        configuration.connection.idleTimeout = .seconds(1)  // a half-open connection ends after 1 s
        let server = Endpoint(configuration: configuration, randomness: SeededGenerator(seed: 26))
        var now = Timestamp.zero
        // Client k: address 10,000 + k (one host each), client ID 0x10000 + k.
        func connect(_ k: Int) -> [UInt8] { plainConnect(clientID: 0x1_0000 + UInt64(k)) }
        func deliver(_ k: Int) { server.handle(datagram: connect(k), from: PeerAddress(node: 10_000 + k), at: now) }
        /// CONNECTs from clients `range`, then time passes until their half-open connections ended.
        func openAndEnd(_ range: Range<Int>) {
            for k in range { deliver(k) }
            now = now + .seconds(5)
            while true {
                while server.pollTransmit(at: now) != nil {}
                while server.pollEvent() != nil {}
                guard let deadline = server.nextDeadline(), deadline <= now else { break }
                server.handleTimeout(at: now)
            }
        }

        openAndEnd(0..<1)  // client 0: the oldest
        openAndEnd(1..<4_096)  // 4,095 more: 4,096 remembered
        #expect(server.connectionCount == 0)
        #expect(server.statistics.connectionsAccepted == 4_096)
        deliver(0)
        #expect(server.statistics.replayedHandshakes == 1, "at exactly 4,096 the oldest is still remembered")
        #expect(server.connectionCount == 0)

        openAndEnd(4_096..<4_097)  // the 4,097th: client 0 is forgotten, no one else
        #expect(server.statistics.connectionsAccepted == 4_097)
        for k in 1..<4_097 { deliver(k) }
        #expect(server.statistics.replayedHandshakes == 1 + 4_096)
        #expect(server.connectionCount == 0)
        deliver(0)
        #expect(server.statistics.replayedHandshakes == 1 + 4_096)
        #expect(server.connectionCount == 1, "the oldest was forgotten: its CONNECT is a new handshake")
        #expect(server.statistics.connectionsAccepted == 4_098)
    }
}

// MARK: - Entry 28: when the application idle limit runs

extension SpecCoverageTests {
    static func idleConfiguration(limit: Duration?) -> ConnectionConfiguration {
        var configuration = ConnectionConfiguration()
        configuration.applicationIdleTimeout = limit
        configuration.keepAliveInterval = .milliseconds(500)
        configuration.connectTimeout = .seconds(30)
        return configuration
    }

    /// Whether `datagram` carries a CLOSE frame with `code` (plain mode).
    static func carriesClose(_ datagram: [UInt8], _ code: CloseCode) -> Bool {
        guard let packet = try? Datagram.open(datagram), case .data(let frames) = packet.body else { return false }
        return frames.contains { if case .close(let close) = $0 { return close.code == code } else { return false } }
    }

    /// PROTOCOL.md 12.4: the limit counts from Established. A handshake that takes longer than the
    /// limit (every ACCEPT lost for 4 s, while the client retransmits CONNECT) closes nothing on
    /// either side; once Established, a connection idle for less than the limit stays open, and
    /// one idle for the limit is closed with CLOSE(application idle).
    @Test func theApplicationIdleLimitDoesNotRunBeforeEstablished() throws {
        let limit = Duration.seconds(2)
        let pair = Pair(clientConfig: Self.idleConfiguration(limit: limit), serverConfig: Self.idleConfiguration(limit: limit), seed: 28)
        var idleCloses = 0
        pair.filter = { datagram, toServer in
            if Self.carriesClose(datagram, .applicationIdle) { idleCloses += 1 }
            return toServer || packetType(datagram) != .accept || pair.now >= Timestamp.zero + .seconds(4)
        }
        let c = pair.connect()
        #expect(pair.drive { pair.client.connection(c)?.state == .established })
        let established = pair.now  // the client's; the server's comes one latency later
        #expect(pair.drive { pair.serverConnection != nil })
        #expect(established - Timestamp.zero > limit + .seconds(1), "the handshake took longer than the limit (\(established))")
        #expect(pair.client.statistics.datagramsSent > 2, "the client retransmitted CONNECT")
        #expect(pair.client.connection(c)?.state == .established)
        #expect(pair.closeReason(pair.clientEvents) == nil && pair.closeReason(pair.serverEvents) == nil)
        #expect(idleCloses == 0)

        // Less than the limit after Established: still open on both sides.
        _ = pair.drive(for: limit - .milliseconds(500)) { false }
        #expect(pair.closeReason(pair.clientEvents) == nil && pair.closeReason(pair.serverEvents) == nil)
        #expect(idleCloses == 0)
        // The limit does run once Established.
        #expect(pair.drive(for: .seconds(10)) { pair.closeReason(pair.clientEvents) != nil })
        #expect(pair.now - established >= limit)
        #expect(idleCloses >= 1)
    }

    /// PROTOCOL.md 12.4: once the application asked for a graceful close, the limit no longer
    /// runs. The client's last message is lost for longer than the limit (retransmissions are not
    /// activity) while its close waits for the acknowledgement; it is then delivered and the
    /// connection closes normally, not with CLOSE(application idle).
    @Test func theApplicationIdleLimitDoesNotRunOnceAGracefulCloseWasAsked() throws {
        let limit = Duration.seconds(1)
        let pair = Pair(clientConfig: Self.idleConfiguration(limit: limit), serverConfig: Self.idleConfiguration(limit: nil), seed: 29)
        var blocked = false
        var idleCloses = 0
        pair.filter = { datagram, toServer in
            if Self.carriesClose(datagram, .applicationIdle) { idleCloses += 1 }
            return !(blocked && toServer)
        }
        let c = pair.connect()
        #expect(pair.drive { pair.serverConnection != nil })
        blocked = true
        let last = Array(repeating: UInt8(0x42), count: 300)
        try pair.client.send(last, on: c)
        pair.client.close(c, at: pair.now)
        let asked = pair.now
        _ = pair.drive(for: limit * 4) { false }
        #expect(pair.now - asked >= limit * 4)
        #expect(
            pair.closeReason(pair.clientEvents) == nil,
            "still waiting for the acknowledgement: \(String(describing: pair.closeReason(pair.clientEvents)))")
        #expect(pair.client.connection(c)?.state == .established)
        #expect(idleCloses == 0)
        blocked = false
        #expect(pair.drive(for: .seconds(60)) { pair.closeReason(pair.clientEvents) != nil && pair.closeReason(pair.serverEvents) != nil })
        #expect(pair.closeReason(pair.clientEvents) == .closedLocally)
        #expect(pair.serverMessages.map(\.bytes) == [last])
        #expect(idleCloses == 0)
    }
}

// MARK: - Entry 29: the receive-memory budget

extension SpecCoverageTests {
    /// A plain server endpoint with Established connections from addresses 1...`count`, keyed by
    /// address.
    static func budgetEndpoint(budget: Int, seed: UInt64, count: Int = 3) -> (Endpoint, [PeerAddress: ConnectionID]) {
        var configuration = EndpointConfiguration(acceptsConnections: true)
        configuration.receiveMemoryBudget = budget
        configuration.retryPolicy = .never
        let endpoint = Endpoint(configuration: configuration, randomness: SeededGenerator(seed: seed))
        var ids: [PeerAddress: ConnectionID] = [:]
        for address in 1...count {
            endpoint.handle(datagram: plainConnect(clientID: UInt64(address)), from: PeerAddress(node: address), at: .zero)
            while let (datagram, destination) = endpoint.pollTransmit(at: .zero) {
                if let packet = try? Datagram.open(datagram), case .accept(let params) = packet.body {
                    ids[destination] = params.sourceConnectionID
                }
            }
        }
        for (address, id) in ids {
            endpoint.handle(datagram: ReceiveMemoryTests.data(to: id, number: 0, [.ping]), from: address, at: .zero)
        }
        while endpoint.pollTransmit(at: .zero) != nil {}
        while endpoint.pollEvent() != nil {}
        return (endpoint, ids)
    }

    /// Ten whole unreliable messages of 1,000 bytes, delivered but not yet taken by the
    /// application: each counts exactly its bytes plus ``ReceiveMemory/overhead`` (the bytes of a
    /// fragment kept for reassembly count its array's capacity, which the allocator may round
    /// differently from one array to the next, so only these give two connections equal holdings).
    static func holdings(for id: ConnectionID) -> [[UInt8]] {
        (0..<10).map { i in
            ReceiveMemoryTests.data(
                to: id, number: UInt64(i + 1),
                [ReceiveMemoryTests.fragment(UInt32(i), total: 1_000, offset: 0, count: 1_000, mode: .unreliable)])
        }
    }

    /// PROTOCOL.md 17.4 and entry 29: when the budget is exhausted, the connection holding the most
    /// is closed; between two holding the same, the one with the lowest connection ID. Over
    /// several seeds, so that the lower ID is sometimes the older connection and sometimes the
    /// younger (the endpoint's table order is not the ID order).
    @Test func theBudgetClosesTheLowestIDAmongEqualHolders() throws {
        let held = 10 * (1_000 + ReceiveMemory.overhead)
        let incomingFrames = (0..<12).map { ReceiveMemoryTests.fragment(0, total: 100_000, offset: 1_000 * ($0 + 1), count: 1_000) }
        let incoming = 12 * ReceiveMemory.bound(payloadCount: 1_000)
        // Two equal holders fit; a third connection's datagram fits only once one of them is closed.
        let budget = held + incoming + held / 2
        try #require(2 * held <= budget && 2 * held + incoming > budget && held + incoming <= budget)

        var lowerWasOlder = false, lowerWasYounger = false
        for seed: UInt64 in 1...12 {
            let (endpoint, ids) = Self.budgetEndpoint(budget: budget, seed: seed)
            for address: PeerAddress in [1, 2] {
                for datagram in Self.holdings(for: ids[address]!) { endpoint.handle(datagram: datagram, from: address, at: .zero) }
            }
            let first = try #require(endpoint.connection(ids[1]!)), second = try #require(endpoint.connection(ids[2]!))
            #expect(
                first.receiveMemory == held && second.receiveMemory == held, "seed \(seed): \(first.receiveMemory), \(second.receiveMemory)"
            )
            #expect(endpoint.statistics.connectionsClosedForMemory == 0, "seed \(seed)")
            let lowest = min(ids[1]!, ids[2]!)
            if lowest == ids[1]! { lowerWasOlder = true } else { lowerWasYounger = true }

            endpoint.handle(datagram: ReceiveMemoryTests.data(to: ids[3]!, number: 1, incomingFrames), from: 3, at: .zero)
            #expect(endpoint.statistics.connectionsClosedForMemory == 1, "seed \(seed)")
            let closed = [1, 2].filter { endpoint.connection(ids[$0]!)?.endingReason == .resourceLimit }
            #expect(closed.map { ids[$0]! } == [lowest], "seed \(seed): IDs \(ids[1]!) and \(ids[2]!), closed \(closed)")
            #expect(endpoint.connection(ids[3]!)?.receiveMemory ?? 0 > 12_000, "seed \(seed): the datagram was taken")
            #expect(endpoint.receiveMemory <= budget, "seed \(seed)")
        }
        #expect(lowerWasOlder && lowerWasYounger, "the seeds cover both orders")
    }

    /// Entry 29: the endpoint closes holders until the datagram fits; when nothing is left to
    /// close (no connection holds anything) and it still does not fit, the datagram is dropped
    /// unrecorded, and its own connection, which held nothing, stays open.
    @Test func aDatagramIsDroppedWhenNothingIsLeftToClose() throws {
        let budget = 1_000
        let big = [
            ReceiveMemoryTests.fragment(0, total: 5_000, offset: 1_000, count: 600),
            ReceiveMemoryTests.fragment(0, total: 5_000, offset: 2_000, count: 600),
        ]
        try #require(2 * ReceiveMemory.bound(payloadCount: 600) > budget)
        let (endpoint, ids) = Self.budgetEndpoint(budget: budget, seed: 5)

        // Nothing held anywhere: nothing to close, the datagram is dropped.
        let receiver = try #require(endpoint.connection(ids[2]!))
        let accepted = receiver.packetsAccepted
        endpoint.handle(datagram: ReceiveMemoryTests.data(to: ids[2]!, number: 1, big), from: 2, at: .zero)
        #expect(receiver.packetsAccepted == accepted, "dropped unrecorded")
        #expect(receiver.statistics.packetsDroppedForMemory == 1)
        #expect(endpoint.statistics.connectionsClosedForMemory == 0)
        #expect(receiver.state == .established && receiver.endingReason == nil)
        #expect(endpoint.receiveMemory == 0)

        // Address 1 holds something: it is closed, still the datagram does not fit, and nothing
        // is left to close: dropped, and its connection stays open.
        let holder = try #require(endpoint.connection(ids[1]!))
        endpoint.handle(
            datagram: ReceiveMemoryTests.data(
                to: ids[1]!, number: 1,
                [ReceiveMemoryTests.fragment(0, total: 5_000, offset: 1_000, count: 300)]),
            from: 1, at: .zero)
        #expect(holder.receiveMemory > 0)
        endpoint.handle(datagram: ReceiveMemoryTests.data(to: ids[2]!, number: 2, big), from: 2, at: .zero)
        #expect(holder.endingReason == .resourceLimit)
        #expect(endpoint.statistics.connectionsClosedForMemory == 1)
        #expect(receiver.packetsAccepted == accepted)
        #expect(receiver.statistics.packetsDroppedForMemory == 2)
        #expect(receiver.state == .established && receiver.endingReason == nil)
        #expect(endpoint.receiveMemory == 0)

        // A datagram that fits is still taken.
        endpoint.handle(
            datagram: ReceiveMemoryTests.data(
                to: ids[2]!, number: 3,
                [ReceiveMemoryTests.fragment(0, total: 5_000, offset: 1_000, count: 200)]),
            from: 2, at: .zero)
        #expect(receiver.packetsAccepted == accepted + 1)
        #expect(receiver.receiveMemory > 0)
    }
}
