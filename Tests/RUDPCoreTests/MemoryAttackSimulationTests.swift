import Foundation
import RUDPImpairment
import RUDPSimulation
import RUDPWire
import Testing

@testable import RUDPCore

/// Receive-memory attacks on a simulated server (`Specs/PROTOCOL.md` sections 13.6, 17.4 and
/// 18): attacker connections send first fragments of huge messages, out-of-order fragments that
/// never complete and tiny pieces, while an honest client exchanges messages beside them.
///
/// After every event of the server, each connection must hold at most its ceiling (three times
/// the window; beyond 1.5 times only packets for a channel's next message get in) and the
/// endpoint at most its budget; the budget must close the largest holders with CLOSE(resource
/// limit); the honest connection must deliver everything.
@Suite struct MemoryAttackSimulationTests {
    /// A server node that checks the memory bounds after everything it does.
    final class CheckedServer: SimulatedNode {
        let node: EndpointNode
        var violations: [String] = []
        var largestConnection = 0
        var largestTotal = 0
        /// Messages delivered to the application, per connection.
        var delivered: [ConnectionID: [ReceivedMessage]] = [:]
        var closed: [ConnectionID: CloseReason] = [:]
        /// Before each close for the budget: the closed connection's memory and the largest other's.
        var budgetCloses: [(closed: Int, largestOther: Int)] = []

        init(configuration: EndpointConfiguration, seed: UInt64) {
            node = EndpointNode(configuration: configuration, seed: seed)
            node.onEvent = { [unowned self] id, event in
                switch event {
                case .message(let message): delivered[id, default: []].append(message)
                case .closed(let reason): closed[id] = reason
                default: break
                }
            }
        }

        var endpoint: Endpoint { node.endpoint }

        func check(at now: Timestamp) {
            var sum = 0
            for id in endpoint.connectionIDs {
                guard let connection = endpoint.connection(id) else { continue }
                let held = connection.receiveMemory
                sum += held
                largestConnection = max(largestConnection, held)
                if held > connection.receiveMemoryCeiling {
                    violations.append("\(now): connection \(id) holds \(held) bytes, above its ceiling \(connection.receiveMemoryCeiling)")
                }
                if held != connection.statistics.receiveMemory { violations.append("\(now): statistics disagree for \(id)") }
            }
            largestTotal = max(largestTotal, endpoint.receiveMemory)
            if sum != endpoint.receiveMemory {
                violations.append("\(now): the connections hold \(sum) bytes but the endpoint counts \(endpoint.receiveMemory)")
            }
            if endpoint.receiveMemory > endpoint.configuration.receiveMemoryBudget {
                violations.append("\(now): the endpoint holds \(endpoint.receiveMemory) bytes, above its budget")
            }
        }

        func receive(_ datagram: [UInt8], from source: SimulatedAddress, at now: Timestamp) {
            let before = snapshot()
            node.receive(datagram, from: source, at: now)
            // The connections the budget closed just now, and whether each held the most of
            // those left open before it.
            let closedNow = Set(
                before.keys.filter { id in
                    !countedCloses.contains(id) && (endpoint.connection(id)?.endingReason == .resourceLimit || closed[id] == .resourceLimit)
                })
            for id in closedNow {
                countedCloses.insert(id)
                let others = before.filter { !closedNow.contains($0.key) }.map(\.value).max() ?? 0
                budgetCloses.append((before[id] ?? 0, others))
            }
            check(at: now)
        }

        private var countedCloses: Set<ConnectionID> = []

        func handleTimeout(at now: Timestamp) {
            node.handleTimeout(at: now)
            check(at: now)
        }

        func pollTransmit(at now: Timestamp) -> (datagram: [UInt8], destination: SimulatedAddress)? { node.pollTransmit(at: now) }
        func nextDeadline() -> Timestamp? { node.nextDeadline() }

        private func snapshot() -> [ConnectionID: Int] {
            var memory: [ConnectionID: Int] = [:]
            for id in endpoint.connectionIDs { memory[id] = endpoint.connection(id)?.receiveMemory ?? 0 }
            return memory
        }
    }

    /// An honest client: sends `messages` one after the other (a new one on each event).
    final class HonestClient {
        let node: EndpointNode
        let messages: [[UInt8]]
        var id: ConnectionID?
        var sent = 0
        var acknowledged = 0
        var closeReason: CloseReason?

        init(messages: [[UInt8]], seed: UInt64) {
            self.messages = messages
            node = EndpointNode(configuration: EndpointConfiguration(), seed: seed)
            node.onEvent = { [unowned self] connection, event in
                switch event {
                case .acknowledged: acknowledged += 1
                case .closed(let reason): closeReason = reason
                default: break
                }
                sendMore()
            }
        }

        func sendMore() {
            guard let id else { return }
            while sent < messages.count, (try? node.endpoint.send(messages[sent], on: id)) != nil { sent += 1 }
        }
    }

    static func serverConfiguration(budget: Int) -> EndpointConfiguration {
        var connection = ConnectionConfiguration()
        connection.receiveWindow = 256 << 10
        connection.maxMessageSize = 64 << 10
        connection.unreliableReassemblyBytes = 128 << 10
        var configuration = EndpointConfiguration(connection: connection, acceptsConnections: true)
        configuration.receiveMemoryBudget = budget
        return configuration
    }

    struct Outcome {
        var server: CheckedServer
        var attacker: MemoryAttackerNode
        var honest: HonestClient
        var description: String
    }

    static func run(seed: UInt64, patterns: [MemoryAttackOptions.Pattern], connections: Int, budget: Int, rounds: Int = 150) -> Outcome {
        let simulator = NetworkSimulator(seed: seed)
        let server = CheckedServer(configuration: serverConfiguration(budget: budget), seed: seed &+ 1)
        let serverAddress = simulator.addNode(server)
        var options = MemoryAttackOptions(seed: seed &+ 2)
        options.connections = connections
        options.patterns = patterns
        options.rounds = rounds
        let attacker = MemoryAttackerNode(options: options, server: serverAddress)
        let attackerAddress = simulator.addNode(attacker)
        var rng = SeededGenerator(seed: seed &+ 3)
        let messages = (0..<60).map { i -> [UInt8] in
            let count = Int(rng.next() % 20_000)
            return (0..<count).map { UInt8(truncatingIfNeeded: $0 &+ i) }
        }
        let honest = HonestClient(messages: messages, seed: seed &+ 4)
        let honestAddress = simulator.addNode(honest.node)
        let wide = LinkOptions(delay: .milliseconds(5), queueCapacity: 64 << 20)
        simulator.connectBidirectional(attackerAddress, serverAddress, options: wide)
        simulator.connectBidirectional(
            honestAddress, serverAddress, options: LinkOptions(delay: .milliseconds(10), jitter: .milliseconds(3), loss: 0.02))
        simulator.run(for: .milliseconds(50))
        honest.id = honest.node.endpoint.connect(to: serverAddress.peerAddress, at: simulator.now)
        simulator.poll(honestAddress)
        _ = simulator.runUntil(deadline: simulator.now + .seconds(60)) {
            attacker.isFinished && honest.acknowledged == messages.count
        }
        simulator.run(for: .seconds(1))
        let description =
            "seed \(seed), \(options), budget \(budget): largest connection \(server.largestConnection) bytes, "
            + "largest total \(server.largestTotal) bytes, \(server.endpoint.statistics.connectionsClosedForMemory) closed for memory, "
            + "\(attacker.forgedDatagrams) forged datagrams (\(attacker.forgedBytes) bytes); attacker closes: \(Set(attacker.closeReasons.values))"
        if ProcessInfo.processInfo.environment["RUDP_MEMORY_VERBOSE"] != nil { print("memory attack: \(description)") }
        return Outcome(server: server, attacker: attacker, honest: honest, description: description)
    }

    /// The honest connection's messages arrived, complete and in order, and it was not closed.
    static func checkHonest(_ outcome: Outcome) {
        let honest = outcome.honest
        let serverID = honest.id.flatMap { honest.node.endpoint.connection($0)?.peerID }
        let received = serverID.map { outcome.server.delivered[$0] ?? [] } ?? []
        #expect(honest.acknowledged == honest.messages.count, "\(outcome.description)")
        #expect(
            received.map(\.bytes) == honest.messages,
            "\(outcome.description): the honest connection delivered \(received.count) of \(honest.messages.count)")
        #expect(
            honest.closeReason == nil, "\(outcome.description): the honest connection closed: \(String(describing: honest.closeReason))")
    }

    @Test(arguments: [11, 12, 13] as [UInt64])
    func everyPatternWithinTheLimitsAndTheBudget(seed: UInt64) {
        // 24 attackers that could hold about 5 MiB together against a 2 MiB budget.
        let outcome = Self.run(seed: seed, patterns: MemoryAttackOptions.Pattern.allCases, connections: 24, budget: 2 << 20)
        #expect(outcome.server.violations.isEmpty, "\(outcome.description)\n\(outcome.server.violations.prefix(5).joined(separator: "\n"))")
        #expect(outcome.server.endpoint.statistics.connectionsClosedForMemory > 0, "\(outcome.description)")
        // Every budget close took the largest holder, and the attacker was told why.
        for close in outcome.server.budgetCloses {
            #expect(
                close.closed >= close.largestOther,
                "\(outcome.description): closed a connection holding \(close.closed) while another held \(close.largestOther)")
        }
        let toldResourceLimit = outcome.attacker.closeReasons.values.filter {
            $0 == .peerClosed(.resourceLimit, "receive memory budget exhausted")
        }.count
        #expect(toldResourceLimit == outcome.server.endpoint.statistics.connectionsClosedForMemory, "\(outcome.description)")
        Self.checkHonest(outcome)
    }

    @Test func firstFragmentsHoldOnlyWhatArrived() {
        // The claimed lengths (the whole window, four times over) are never allocated.
        let outcome = Self.run(seed: 21, patterns: [.firstFragments], connections: 16, budget: 128 << 20)
        #expect(outcome.server.violations.isEmpty, "\(outcome.description)")
        #expect(outcome.server.largestConnection < 64 << 10, "\(outcome.description)")
        #expect(outcome.server.endpoint.statistics.connectionsClosedForMemory == 0, "\(outcome.description)")
        Self.checkHonest(outcome)
    }

    @Test func outOfOrderFillStaysWithinTheWindowAndItsBookkeeping() {
        // Without a budget to stop them, each attacker holds its whole window, and no more.
        let outcome = Self.run(seed: 31, patterns: [.outOfOrderFill], connections: 4, budget: 128 << 20, rounds: 200)
        #expect(outcome.server.violations.isEmpty, "\(outcome.description)")
        let window = Self.serverConfiguration(budget: 0).connection.receiveWindow
        #expect(outcome.server.largestConnection > window * 9 / 10, "\(outcome.description): the attack did not fill the window")
        #expect(outcome.server.largestConnection <= window + window / 10, "\(outcome.description)")
        Self.checkHonest(outcome)
    }

    @Test func tinyPiecesStopAtTheConnectionLimit() {
        let outcome = Self.run(seed: 41, patterns: [.tinyPieces], connections: 2, budget: 128 << 20, rounds: 400)
        #expect(outcome.server.violations.isEmpty, "\(outcome.description)")
        var dropped = 0
        for id in outcome.server.endpoint.connectionIDs {
            dropped += outcome.server.endpoint.connection(id)?.statistics.packetsDroppedForMemory ?? 0
        }
        #expect(dropped > 0, "\(outcome.description): the limit never refused a datagram")
        Self.checkHonest(outcome)
    }
}
