import RUDPCore
import RUDPImpairment
import RUDPSimulation
import Testing

/// Pacing in the engine (`Specs/PROTOCOL.md` section 15.2), on the deterministic simulator, whose
/// timers fire exactly at the engine's deadlines: a bulk transfer over a 50 ms path with no rate
/// limit, so each datagram arrives exactly 25 ms after it left and the datagrams that arrive at
/// one instant are the ones the sender sent in one burst.
@Suite struct PacingTests {
    struct Transfer {
        /// Most data datagrams the client sent at one instant.
        var largestBurst = 0
        /// When the last message was delivered.
        var finished: Duration
        var client: ConnectionStatistics
        var server: ConnectionStatistics
        var deliveredInOrder: Bool
        var livelockDeferrals: Int
    }

    /// `echoEvery`: the server sends every such message back, so the client, while paced, also
    /// owes acknowledgements.
    static func transfer(pacing: Bool, messages count: Int = 4_000, echoEvery: Int? = nil, seed: UInt64 = 7) throws -> Transfer {
        var config = ConnectionConfiguration()
        config.pacing = pacing
        let simulator = NetworkSimulator(seed: seed, recordTrace: true)
        let server = EndpointNode(configuration: EndpointConfiguration(connection: config, acceptsConnections: true), seed: seed &+ 1)
        let client = EndpointNode(configuration: EndpointConfiguration(connection: config), seed: seed &+ 2)
        var received: [Int] = []
        var echoes = 0
        var lastDelivery = Timestamp.zero
        server.onEvent = { id, event in
            if case .message(let m) = event {
                received.append(Int(m.bytes[0]) | Int(m.bytes[1]) << 8)
                lastDelivery = simulator.now
                if let echoEvery, received.count % echoEvery == 0 { _ = try? server.endpoint.send(m.bytes, on: id) }
            }
        }
        client.onEvent = { _, event in
            if case .message = event { echoes += 1 }
        }
        let serverAddress = simulator.addNode(server)
        let clientAddress = simulator.addNode(client)
        simulator.connectBidirectional(clientAddress, serverAddress, options: LinkOptions(delay: .milliseconds(25)))
        let id = client.endpoint.connect(to: serverAddress.peerAddress, at: simulator.now)
        var sent = 0
        func feed() {
            while sent < count {
                var message = [UInt8](repeating: 0xA5, count: 1000)
                message[0] = UInt8(truncatingIfNeeded: sent)
                message[1] = UInt8(truncatingIfNeeded: sent >> 8)
                guard (try? client.endpoint.send(message, on: id)) != nil else { break }
                sent += 1
            }
            simulator.poll(clientAddress)
        }
        feed()
        let done = simulator.runUntil(deadline: simulator.now + .seconds(60)) {
            feed()
            return received.count == count && echoes == (echoEvery.map { count / $0 } ?? 0)
        }
        #expect(done, "seed \(seed), pacing \(pacing): \(received.count) of \(count) delivered")
        var burst = 0, largest = 0
        var instant = Timestamp.zero
        for entry in simulator.trace {
            guard case .delivered(let source, _, let size, _) = entry.event, source == clientAddress, size > 1000 else { continue }
            if entry.time == instant { burst += 1 } else { instant = entry.time; burst = 1 }
            largest = max(largest, burst)
        }
        let clientStatistics = try #require(client.endpoint.connection(id)?.statistics)
        let serverID = try #require(server.endpoint.connectionIDs.first)
        let serverStatistics = try #require(server.endpoint.connection(serverID)?.statistics)
        return Transfer(
            largestBurst: largest, finished: lastDelivery - .zero, client: clientStatistics, server: serverStatistics,
            deliveredInOrder: received == Array(0..<count).map { $0 & 0xFFFF }, livelockDeferrals: simulator.livelockDeferrals)
    }

    @Test func burstsStayWithinTheAllowanceAndTheTransferIsNoSlower() throws {
        let paced = try Self.transfer(pacing: true)
        let unpaced = try Self.transfer(pacing: false)
        let context =
            "paced: burst \(paced.largestBurst), \(paced.finished), \(paced.client.pacingDelays) delays, window \(paced.client.congestionWindow); "
            + "unpaced: burst \(unpaced.largestBurst), \(unpaced.finished), window \(unpaced.client.congestionWindow)"
        print("pacing over a 50 ms path, 4,000 messages: \(context)")
        #expect(paced.deliveredInOrder && unpaced.deliveredInOrder, "\(context)")
        #expect(paced.client.pacingDelays > 0, "\(context)")
        #expect(unpaced.client.pacingDelays == 0, "\(context)")
        // The allowance at 50 ms is window × 2 ms / 50 ms, at least 10 datagrams: far below the
        // window, which an unpaced sender sends in one burst as the acknowledgements come back.
        let allowance = min(256 * 1200, max(10 * 1200, paced.client.congestionWindow / 25))
        #expect(paced.largestBurst <= allowance / 1000 + 1, "\(context)")
        #expect(unpaced.largestBurst > 4 * paced.largestBurst, "\(context)")
        // Pacing at 5/4 of the window per RTT costs at most a few round trips of slow start.
        #expect(paced.finished <= unpaced.finished + .milliseconds(200), "\(context)")
        #expect(paced.livelockDeferrals == 0 && unpaced.livelockDeferrals == 0, "\(context)")
    }

    /// The client is paced while it acknowledges the server's echoes: its ACK-only packets are not
    /// held back, so the server's RTT estimate stays at the path's 50 ms plus at most the
    /// client's 5 ms max_ack_delay.
    @Test func acknowledgementsAreNotHeldBack() throws {
        let paced = try Self.transfer(pacing: true, echoEvery: 10)
        let context =
            "paced: \(paced.client.pacingDelays) delays, server SRTT \(paced.server.smoothedRTT) ns, "
            + "client SRTT \(paced.client.smoothedRTT) ns"
        print("pacing with echoes: \(context)")
        #expect(paced.deliveredInOrder, "\(context)")
        #expect(paced.client.pacingDelays > 0, "\(context)")
        #expect(paced.server.smoothedRTT <= 56_000_000, "\(context)")
    }
}
