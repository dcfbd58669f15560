import RUDPCore
import RUDPImpairment
import RUDPSecurity
import RUDPSimulation
import RUDPWire

/// A complete, checked run of the real engine over the simulated network: a client and a server
/// exchange a workload of messages under impaired links, the network heals, both sides drain
/// and close; every delivery is verified.
///
/// It is the building block of the randomized simulation suite, of engine-only throughput
/// measurements and of `rudp simulate`. Everything is derived from ``Setup/seed`` and the
/// setup, so a run is reproduced exactly by the same setup.
///
/// ```swift
/// let setup = ExchangeScenario.Setup.random(seed: 42)
/// let outcome = ExchangeScenario.run(setup)
/// if !outcome.violations.isEmpty { print(outcome.reproduction) }   // seed + options
/// ```
public enum ExchangeScenario {
    /// One message of the workload.
    public struct PlannedMessage: Sendable, Hashable {
        /// The message's size in bytes.
        public var size: Int
        /// How it is delivered.
        public var mode: DeliveryMode
        /// The channel it is sent on.
        public var channel: UInt8
        /// A message of `size` bytes sent with `mode` on `channel`.
        public init(size: Int, mode: DeliveryMode, channel: UInt8) {
            self.size = size
            self.mode = mode
            self.channel = channel
        }
    }

    /// Everything that determines a run.
    public struct Setup: Sendable, CustomStringConvertible {
        /// The seed of every random choice of the run (links, endpoints, workload).
        public var seed: UInt64
        /// The link from client to server.
        public var forward: LinkOptions
        /// The link from server to client.
        public var backward: LinkOptions
        /// Both endpoints' connection configuration.
        public var configuration: ConnectionConfiguration
        /// Messages from client to server, and from server to client.
        public var clientMessages: [PlannedMessage]
        /// Messages from server to client.
        public var serverMessages: [PlannedMessage]
        /// How long the impaired phase lasts before the links heal (lossless, same delay).
        public var faultPhase: Duration
        /// Upper bound for delivering everything after the heal, and for closing.
        public var convergenceLimit: Duration
        /// Whether the client closes gracefully once everything is acknowledged.
        public var closeAtEnd: Bool
        /// Packet security on both endpoints (nil: plain). The key is derived from the seed;
        /// randoms and cookie secrets are seeded, so the run stays reproducible.
        public var security: SecurityMode? = nil
        /// A `NetworkAttacker` in front of both endpoints (only meaningful with ``security``).
        public var attack: AttackOptions? = nil

        /// A run with these links, configuration and workload (see the properties).
        public init(
            seed: UInt64, forward: LinkOptions, backward: LinkOptions, configuration: ConnectionConfiguration,
            clientMessages: [PlannedMessage], serverMessages: [PlannedMessage] = [],
            faultPhase: Duration = .seconds(30), convergenceLimit: Duration = .seconds(300), closeAtEnd: Bool = true
        ) {
            self.seed = seed
            self.forward = forward
            self.backward = backward
            self.configuration = configuration
            self.clientMessages = clientMessages
            self.serverMessages = serverMessages
            self.faultPhase = faultPhase
            self.convergenceLimit = convergenceLimit
            self.closeAtEnd = closeAtEnd
        }

        /// A random scenario: link faults (loss up to `maxLoss`, bursts, duplication, reordering,
        /// corruption, bandwidth limits, partitions), engine limits, and a mixed workload.
        public static func random(seed: UInt64, maxLoss: Double = 0.5) -> Setup {
            var rng = SeededGenerator(seed: seed)
            let forward = LinkOptions.random(using: &rng, maxLoss: maxLoss)
            let backward = LinkOptions.random(using: &rng, maxLoss: maxLoss)
            var config = ConnectionConfiguration()
            // Survive the fault phase: the suite checks delivery, not dead-peer detection.
            config.peerTimeout = .seconds(600)
            config.connectTimeout = .seconds(120)
            config.idleTimeout = .seconds(600)
            config.maximumRTO = .seconds(2)
            if rng.next() % 4 == 0 { config.maxDatagramSize = 256 + Int(rng.next() % 1200) }
            if rng.next() % 4 == 0 {
                config.maxMessageSize = 64 << 10
                config.receiveWindow = (64 << 10) + Int(rng.next() % (64 << 10))
            }
            if rng.next() % 4 == 0 { config.messageWindow = UInt16(1 + rng.next() % 16) }
            if rng.next() % 4 == 0 { config.sendBufferMessages = 4 + Int(rng.next() % 32) }
            config.channelCount = UInt8(1 + rng.next() % 8)
            if rng.next() % 3 == 0 { config.initialMessageSequence = UInt32.max - UInt32(rng.next() % 20) }
            func plan(count: Int) -> [PlannedMessage] {
                (0..<count).map { _ in
                    let r = rng.next() % 100
                    let size: Int
                    if r < 70 {
                        size = 8 + Int(rng.next() % 200)
                    } else if r < 95 {
                        size = 200 + Int(rng.next() % 3000)
                    } else {
                        size = 3000 + Int(rng.next() % UInt64(min(60_000, config.maxMessageSize - 3000)))
                    }
                    let m = rng.next() % 10
                    let mode: DeliveryMode = m < 6 ? .reliableOrdered : (m < 8 ? .reliableUnordered : .unreliable)
                    return PlannedMessage(size: size, mode: mode, channel: UInt8(rng.next() % UInt64(config.channelCount)))
                }
            }
            let clientMessages = plan(count: 10 + Int(rng.next() % 50))
            let serverMessages = plan(count: Int(rng.next() % 20))
            return Setup(
                seed: seed, forward: forward, backward: backward, configuration: config,
                clientMessages: clientMessages, serverMessages: serverMessages)
        }

        /// A one-line summary of these values, as reports print them.
        public var description: String {
            var text = "seed \(seed), forward \(forward), backward \(backward), \(clientMessages.count)+\(serverMessages.count) messages"
            if let security { text += ", security \(security)" }
            if let attack { text += ", \(attack)" }
            return text
        }
    }

    /// What happened.
    public struct Outcome: Sendable {
        /// The run's setup.
        public var setup: Setup
        /// Broken invariants; empty when the run was correct.
        public var violations: [String]
        /// Virtual time from start to the last reliable acknowledgement, and to the end.
        public var timeToAllAcknowledged: Duration?
        /// Virtual time at the end of the run.
        public var endTime: Timestamp
        /// The client connection's counters at the end.
        public var clientStatistics: ConnectionStatistics
        /// The server connection's counters at the end.
        public var serverStatistics: ConnectionStatistics
        /// Why the client connection closed (nil if still open).
        public var clientCloseReason: CloseReason?
        /// Why the server connection closed (nil if still open).
        public var serverCloseReason: CloseReason?
        /// The client-to-server link's counters.
        public var forwardLink: LinkStatistics
        /// The server-to-client link's counters.
        public var backwardLink: LinkStatistics
        /// Unreliable messages sent.
        public var unreliableSent: Int
        /// Unreliable messages delivered.
        public var unreliableDelivered: Int
        /// Digest of the network trace: equal digests mean identical runs.
        public var traceDigest: UInt64
        /// The client endpoint's counters at the end of the run.
        public var clientEndpointStatistics = EndpointStatistics()
        /// The server endpoint's counters at the end of the run.
        public var serverEndpointStatistics = EndpointStatistics()
        /// What the attacker did (nil without an attack).
        public var attackStatistics: AttackStatistics?
        /// How to reproduce this run.
        public var reproduction: String { "reproduce with \(setup)" }
    }

    /// The bytes of message `index` of a direction: an 8-byte tag (direction, index), then bytes
    /// drawn from the seed, so integrity and identity can be checked on receipt.
    public static func payload(seed: UInt64, fromClient: Bool, index: Int, size: Int) -> [UInt8] {
        var rng = SeededGenerator(seed: seed ^ (UInt64(index) &* 0x9E37_79B9_7F4A_7C15) ^ (fromClient ? 0 : 0xABCD_EF01))
        var bytes = [UInt8](repeating: 0, count: size)
        let tag = UInt64(index) | (fromClient ? 0 : 1 << 63)
        for i in 0..<min(8, size) { bytes[i] = UInt8(truncatingIfNeeded: tag >> (8 * UInt64(i))) }
        var i = 8
        while i < size {
            let r = rng.next()
            for k in 0..<min(8, size - i) { bytes[i + k] = UInt8(truncatingIfNeeded: r >> (8 * UInt64(k))) }
            i += 8
        }
        return bytes
    }

    private final class Side {
        let node: EndpointNode
        let fromClient: Bool
        let plan: [PlannedMessage]
        var nextToSend = 0
        var connection: ConnectionID?
        var idsToIndex: [MessageID: Int] = [:]
        var acknowledged: [Int] = []
        var failed: [Int] = []
        var received: [(index: Int, message: ReceivedMessage)] = []
        var closeReason: CloseReason?
        var connected = false
        var maxSendBufferBytes = 0
        var violations: [String] = []

        init(node: EndpointNode, fromClient: Bool, plan: [PlannedMessage]) {
            self.node = node
            self.fromClient = fromClient
            self.plan = plan
        }

        func pump(seed: UInt64) {
            guard connected, let id = connection else { return }
            while nextToSend < plan.count {
                let p = plan[nextToSend]
                let bytes = ExchangeScenario.payload(seed: seed, fromClient: fromClient, index: nextToSend, size: p.size)
                do {
                    let mid = try node.endpoint.send(bytes, on: id, channel: p.channel, mode: p.mode)
                    idsToIndex[mid] = nextToSend
                    nextToSend += 1
                } catch .sendBufferFull {
                    return
                } catch {
                    violations.append("send of message \(nextToSend) failed: \(error)")
                    nextToSend += 1
                }
            }
        }
    }

    /// Runs one scenario to completion and checks it.
    public static func run(_ setup: Setup) -> Outcome {
        let simulator = NetworkSimulator(seed: setup.seed)
        let clientSecurity: EndpointSecurity?
        let serverSecurity: EndpointSecurity?
        do {
            clientSecurity = try security(setup, seed: setup.seed &+ 3)
            serverSecurity = try security(setup, seed: setup.seed &+ 4)
        } catch {
            return Outcome(
                setup: setup, violations: ["cannot set up security: \(error)"], timeToAllAcknowledged: nil, endTime: .zero,
                clientStatistics: ConnectionStatistics(), serverStatistics: ConnectionStatistics(),
                clientCloseReason: nil, serverCloseReason: nil, forwardLink: LinkStatistics(), backwardLink: LinkStatistics(),
                unreliableSent: 0, unreliableDelivered: 0, traceDigest: 0)
        }
        let clientNode = EndpointNode(
            configuration: EndpointConfiguration(connection: setup.configuration), seed: setup.seed &+ 1,
            security: clientSecurity)
        let serverNode = EndpointNode(
            configuration: EndpointConfiguration(connection: setup.configuration, acceptsConnections: true),
            seed: setup.seed &+ 2, security: serverSecurity)
        let attacker = setup.attack.map { NetworkAttacker(options: $0) }
        let clientAddress = simulator.addNode(attacker.map { AttackedNode(clientNode, attacker: $0) } ?? clientNode)
        let serverAddress = simulator.addNode(attacker.map { AttackedNode(serverNode, attacker: $0) } ?? serverNode)
        simulator.connect(clientAddress, serverAddress, options: setup.forward)
        simulator.connect(serverAddress, clientAddress, options: setup.backward)

        let client = Side(node: clientNode, fromClient: true, plan: setup.clientMessages)
        let server = Side(node: serverNode, fromClient: false, plan: setup.serverMessages)
        let seed = setup.seed
        var lastAcknowledgement: Timestamp? = nil

        func handler(_ side: Side) -> (ConnectionID, ConnectionEvent) -> Void {
            { [unowned side] id, event in
                switch event {
                case .connected:
                    if side.connection == nil { side.connection = id }
                    if side.connection != id { side.violations.append("second connection \(id)") }
                    side.connected = true
                    side.pump(seed: seed)
                case .message(let m):
                    let bytes = m.bytes  // one copy, checked below
                    guard bytes.count >= 8 else {
                        side.violations.append("received a message of \(bytes.count) bytes, shorter than any sent")
                        return
                    }
                    var tag: UInt64 = 0
                    for i in 0..<8 { tag |= UInt64(bytes[i]) << (8 * UInt64(i)) }
                    let fromClient = tag >> 63 == 0
                    let index = Int(tag & ~(1 << 63))
                    let plan = fromClient ? setup.clientMessages : setup.serverMessages
                    guard fromClient != side.fromClient, index < plan.count else {
                        side.violations.append("received a message that was never sent (tag \(tag))")
                        return
                    }
                    let p = plan[index]
                    if bytes != ExchangeScenario.payload(seed: seed, fromClient: fromClient, index: index, size: p.size) {
                        side.violations.append("message \(index) arrived corrupted or truncated (\(bytes.count) of \(p.size) bytes)")
                    }
                    if m.mode != p.mode || m.channel != p.channel {
                        side.violations.append(
                            "message \(index) arrived with mode \(m.mode) channel \(m.channel), sent \(p.mode) channel \(p.channel)")
                    }
                    side.received.append((index, m))
                case .acknowledged(let mid):
                    if let index = side.idsToIndex[mid] { side.acknowledged.append(index) }
                    lastAcknowledgement = simulator.now
                    side.pump(seed: seed)
                case .failed(let mid):
                    side.failed.append(side.idsToIndex[mid] ?? -1)
                case .writable:
                    side.pump(seed: seed)
                case .closed(let reason):
                    side.closeReason = reason
                }
                if let id = side.connection, let c = side.node.endpoint.connection(id) {
                    side.maxSendBufferBytes = max(side.maxSendBufferBytes, c.statistics.sendBufferBytes)
                }
            }
        }
        clientNode.onEvent = handler(client)
        serverNode.onEvent = handler(server)
        client.connection = clientNode.endpoint.connect(to: serverAddress.peerAddress, at: simulator.now)
        simulator.poll(clientAddress)

        func reliableCount(_ plan: [PlannedMessage], sent: Int) -> Int {
            plan.prefix(sent).filter { $0.mode.isReliable }.count
        }
        func allAcknowledged() -> Bool {
            client.nextToSend == setup.clientMessages.count && server.nextToSend == setup.serverMessages.count
                && client.acknowledged.count == reliableCount(setup.clientMessages, sent: client.nextToSend)
                && server.acknowledged.count == reliableCount(setup.serverMessages, sent: server.nextToSend)
                && server.connected
        }

        // Fault phase, then heal the links and converge.
        let healAt = Timestamp.zero + setup.faultPhase
        _ = simulator.runUntil(deadline: healAt) { allAcknowledged() || client.closeReason != nil }
        var violations: [String] = []
        var healedForward = LinkOptions(delay: setup.forward.delay)
        healedForward.bandwidth = setup.forward.bandwidth
        healedForward.queueCapacity = max(setup.forward.queueCapacity, 1 << 20)
        var healedBackward = LinkOptions(delay: setup.backward.delay)
        healedBackward.bandwidth = setup.backward.bandwidth
        healedBackward.queueCapacity = max(setup.backward.queueCapacity, 1 << 20)
        simulator.updateLink(from: clientAddress, to: serverAddress, options: healedForward)
        simulator.updateLink(from: serverAddress, to: clientAddress, options: healedBackward)
        attacker?.withholdsOriginals = false  // it keeps injecting, but no longer acts as loss
        let convergeBy = simulator.now + setup.convergenceLimit
        let converged = simulator.runUntil(deadline: convergeBy) { allAcknowledged() || client.closeReason != nil }
        let timeToAllAcknowledged = converged && allAcknowledged() ? (lastAcknowledgement ?? simulator.now) - .zero : nil
        if !converged || !allAcknowledged() {
            violations.append(
                "did not converge within \(setup.convergenceLimit) after the links healed: client sent \(client.nextToSend)/\(setup.clientMessages.count), acknowledged \(client.acknowledged.count); server sent \(server.nextToSend)/\(setup.serverMessages.count), acknowledged \(server.acknowledged.count); client close: \(client.closeReason.map { "\($0)" } ?? "none")"
            )
        }
        let clientStats = client.connection.flatMap { clientNode.endpoint.connection($0)?.statistics } ?? ConnectionStatistics()
        let serverStats = server.connection.flatMap { serverNode.endpoint.connection($0)?.statistics } ?? ConnectionStatistics()
        if setup.closeAtEnd, let id = client.connection, client.closeReason == nil {
            clientNode.endpoint.close(id, at: simulator.now)
            simulator.poll(clientAddress)
            let closed = simulator.runUntil(deadline: simulator.now + .seconds(60)) {
                client.closeReason != nil && server.closeReason != nil
            }
            if !closed {
                violations.append(
                    "close did not complete: client \(client.closeReason.map { "\($0)" } ?? "open"), server \(server.closeReason.map { "\($0)" } ?? "open")"
                )
            }
            if let r = client.closeReason, r != .closedLocally {
                violations.append("client closed with \(r), expected a clean local close")
            }
            if let r = server.closeReason, r != .peerClosed(.normal, "") {
                violations.append("server closed with \(r), expected the peer's normal close")
            }
            if clientNode.endpoint.connectionCount != 0 || serverNode.endpoint.connectionCount != 0 {
                violations.append("connections left in the endpoint tables after close")
            }
        }

        // Delivery checks, per direction.
        func check(receiver: Side, plan: [PlannedMessage], sender: Side, direction: String) {
            violations += receiver.violations.map { "\(direction): \($0)" }
            violations += sender.violations.map { "\(direction) sender: \($0)" }
            var seen = Set<Int>()
            var deliveredPosition: [Int: Int] = [:]
            for (position, r) in receiver.received.enumerated() {
                if !seen.insert(r.index).inserted { violations.append("\(direction): message \(r.index) delivered twice") }
                deliveredPosition[r.index] = position
            }
            for (index, p) in plan.enumerated() where p.mode.isReliable && index < sender.nextToSend {
                if deliveredPosition[index] == nil { violations.append("\(direction): reliable message \(index) never delivered") }
            }
            // Ordered: delivered after every earlier reliable message of its channel.
            for (index, p) in plan.enumerated() where p.mode == .reliableOrdered {
                guard let pos = deliveredPosition[index] else { continue }
                for earlier in 0..<index where plan[earlier].mode.isReliable && plan[earlier].channel == p.channel {
                    if let ep = deliveredPosition[earlier], ep > pos {
                        violations.append(
                            "\(direction): ordered message \(index) delivered before earlier message \(earlier) on channel \(p.channel)")
                        break
                    }
                }
            }
            if Set(sender.acknowledged).count != sender.acknowledged.count {
                violations.append("\(direction): a message was acknowledged twice")
            }
            if !sender.failed.isEmpty { violations.append("\(direction): \(sender.failed.count) reliable message(s) failed") }
            if sender.maxSendBufferBytes > setup.configuration.sendBufferBytes {
                violations.append("\(direction): send buffer exceeded its bound")
            }
        }
        check(receiver: server, plan: setup.clientMessages, sender: client, direction: "client→server")
        check(receiver: client, plan: setup.serverMessages, sender: server, direction: "server→client")
        if simulator.livelockDeferrals > 0 {
            violations.append("the engine spun without progress (\(simulator.livelockDeferrals) livelock deferrals)")
        }

        let unreliableSent =
            setup.clientMessages.filter { !$0.mode.isReliable }.count + setup.serverMessages.filter { !$0.mode.isReliable }.count
        let unreliableDelivered = (server.received + client.received).filter { !$0.message.mode.isReliable }.count
        var outcome = Outcome(
            setup: setup, violations: violations, timeToAllAcknowledged: timeToAllAcknowledged, endTime: simulator.now,
            clientStatistics: clientStats, serverStatistics: serverStats,
            clientCloseReason: client.closeReason, serverCloseReason: server.closeReason,
            forwardLink: simulator.statistics(from: clientAddress, to: serverAddress) ?? LinkStatistics(),
            backwardLink: simulator.statistics(from: serverAddress, to: clientAddress) ?? LinkStatistics(),
            unreliableSent: unreliableSent, unreliableDelivered: unreliableDelivered,
            traceDigest: simulator.traceDigest)
        outcome.clientEndpointStatistics = clientNode.endpoint.statistics
        outcome.serverEndpointStatistics = serverNode.endpoint.statistics
        outcome.attackStatistics = attacker?.statistics
        return outcome
    }

    /// The test key of a run: 32 bytes drawn from its seed (simulations only).
    static func testKey(seed: UInt64) throws(SecurityError) -> PreSharedKey {
        var rng = SeededGenerator(seed: seed ^ 0x5EC0_5EC0_5EC0_5EC0)
        let hex = HandshakeRandom(using: &rng).description
        return try PreSharedKey(hexEncoded: hex, source: "simulation seed \(seed)")
    }

    /// An endpoint's security for a run: seeded randoms (cookies bind the simulated node number).
    static func security(_ setup: Setup, seed: UInt64) throws(SecurityError) -> EndpointSecurity? {
        guard let mode = setup.security, mode != .none else { return nil }
        let handshake = try PSKHandshakeSecurity(
            configuration: SecurityConfiguration(mode: mode, key: try testKey(seed: setup.seed)),
            randomness: .seeded(seed))
        return EndpointSecurity(handshake: handshake)
    }
}
