import RUDPWire
import Testing

@testable import RUDPCore

/// Two endpoints joined by in-memory queues and a virtual clock, in the spirit of quinn's `Pair`.
/// Tests edit the queues directly to drop, duplicate or reorder chosen datagrams.
final class Pair {
    static let clientAddress: PeerAddress = 1
    static let serverAddress: PeerAddress = 2

    let client: Endpoint
    let server: Endpoint
    var now = Timestamp.zero
    /// Datagrams in flight towards the server / the client.
    var toServer: [[UInt8]] = []
    var toClient: [[UInt8]] = []
    /// One-way delay applied when the datagrams are delivered by `step`.
    var latency: Duration = .milliseconds(10)
    /// Optional filter: return false to drop. Receives the datagram and its direction.
    var filter: ((_ datagram: [UInt8], _ toServer: Bool) -> Bool)?

    var clientEvents: [(ConnectionID, ConnectionEvent)] = []
    var serverEvents: [(ConnectionID, ConnectionEvent)] = []
    var clientConnection: ConnectionID?
    /// When true, the server's events are left in the engine (an application that stopped reading).
    /// Otherwise both applications consume every message as they take its event: its credit is
    /// released at once (``Endpoint/pollEventConsuming()``).
    var holdServerEvents = false

    init(
        clientConfig: ConnectionConfiguration = ConnectionConfiguration(),
        serverConfig: ConnectionConfiguration = ConnectionConfiguration(), seed: UInt64 = 1,
        clientSecurity: EndpointSecurity? = nil, serverSecurity: EndpointSecurity? = nil,
        serverEndpoint: EndpointConfiguration? = nil
    ) {
        client = Endpoint(
            configuration: EndpointConfiguration(connection: clientConfig), randomness: SeededGenerator(seed: seed),
            security: clientSecurity)
        var serverConfiguration = serverEndpoint ?? EndpointConfiguration(acceptsConnections: true)
        serverConfiguration.connection = serverConfig
        server = Endpoint(configuration: serverConfiguration, randomness: SeededGenerator(seed: seed &+ 1), security: serverSecurity)
    }

    @discardableResult
    func connect() -> ConnectionID {
        let id = client.connect(to: Self.serverAddress, at: now)
        clientConnection = id
        return id
    }

    /// Collects output of both endpoints into the queues (through the filter) and their events.
    func collect() {
        while let (d, _) = client.pollTransmit(at: now) {
            if filter?(d, true) ?? true { toServer.append(d) }
        }
        while let (d, _) = server.pollTransmit(at: now) {
            if filter?(d, false) ?? true { toClient.append(d) }
        }
        while let e = client.pollEventConsuming() { clientEvents.append(e) }
        while !holdServerEvents, let e = server.pollEventConsuming() { serverEvents.append(e) }
        // releasing messages' credit may let a MAX_DATA go
        while let (d, _) = client.pollTransmit(at: now) {
            if filter?(d, true) ?? true { toServer.append(d) }
        }
        while let (d, _) = server.pollTransmit(at: now) {
            if filter?(d, false) ?? true { toClient.append(d) }
        }
    }

    /// Delivers everything queued (after the latency), then collects the answers. Returns false when idle.
    @discardableResult
    func step() -> Bool {
        collect()
        if !toServer.isEmpty || !toClient.isEmpty {
            now = now + latency
            let s = toServer, c = toClient
            toServer = []; toClient = []
            for d in s { server.handle(datagram: d, from: Self.clientAddress, at: now) }
            for d in c { client.handle(datagram: d, from: Self.serverAddress, at: now) }
            collect()
            return true
        }
        let deadlines = [client.nextDeadline(), server.nextDeadline()].compactMap { $0 }
        guard let next = deadlines.min() else { return false }
        if next > now { now = next }
        client.handleTimeout(at: now)
        server.handleTimeout(at: now)
        collect()
        timerSteps += 1
        checkDeadlinesMovedOn()
        return true
    }

    /// The timers' guarantee (issue 14): after `handleTimeout(at: now)` and draining
    /// `pollTransmit`, `nextDeadline()` is nil or later than `now`, so a driver that sleeps until
    /// the next deadline never spins. Every test that drives a `Pair` checks it at every timer step.
    func checkDeadlinesMovedOn() {
        for (name, endpoint) in [("client", client), ("server", server)] {
            if let deadline = endpoint.nextDeadline(), deadline <= now {
                staleDeadlines += 1
                let due = endpoint.connectionIDs.compactMap { id in
                    endpoint.connection(id).map { "\(id) \($0.state): \($0.armedTimers.filter { $0.1 <= now }.map { "\($0.0)" })" }
                }
                Issue.record("\(name) deadline \(deadline) is not after \(now) after handleTimeout and pollTransmit; due: \(due)")
            }
        }
    }

    /// Steps that handled timeouts (nothing was in flight).
    var timerSteps = 0
    /// Timer steps after which a deadline stayed due (see ``checkDeadlinesMovedOn()``).
    var staleDeadlines = 0

    /// Steps until `condition` holds or `limit` of virtual time passes. Returns whether it held.
    @discardableResult
    func drive(for limit: Duration = .seconds(60), until condition: () -> Bool) -> Bool {
        let end = now + limit
        var steps = 0
        while !condition() {
            if now > end || steps > 2_000_000 { return false }
            if !step() { return condition() }
            steps += 1
        }
        return true
    }

    var serverConnection: ConnectionID? {
        for (id, e) in serverEvents { if case .connected = e { return id } }
        return nil
    }

    func messages(at events: [(ConnectionID, ConnectionEvent)]) -> [ReceivedMessage] {
        events.compactMap { if case .message(let m) = $0.1 { return m } else { return nil } }
    }

    var clientMessages: [ReceivedMessage] { messages(at: clientEvents) }
    var serverMessages: [ReceivedMessage] { messages(at: serverEvents) }

    func closeReason(_ events: [(ConnectionID, ConnectionEvent)]) -> CloseReason? {
        for (_, e) in events { if case .closed(let r) = e { return r } }
        return nil
    }
}

/// A datagram's packet, for filters.
func packetType(_ datagram: [UInt8]) -> PacketType? {
    datagram.count > 1 ? PacketType(rawValue: datagram[1]) : nil
}

func hasMessageFrame(_ datagram: [UInt8]) -> Bool {
    guard let p = try? Datagram.open(datagram), case .data(let frames) = p.body else { return false }
    return frames.contains { if case .message = $0 { return true } else { return false } }
}

extension Endpoint {
    /// The next event, as ``pollEvent()``; a message's credit is released at once
    /// (``releaseCredit(_:on:)``), as by an application that consumes each message as it takes it.
    func pollEventConsuming() -> (ConnectionID, ConnectionEvent)? {
        guard let (id, event) = pollEvent() else { return nil }
        if case .message(let message) = event { releaseCredit(message, on: id) }
        return (id, event)
    }
}
