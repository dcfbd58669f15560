import RUDPCore
import RUDPWire

/// One server endpoint and any number of client endpoints at chosen addresses, joined by
/// in-memory queues with a fixed latency and a virtual clock. Tests can also inject datagrams
/// at the server from any (spoofed) address and see what the server sends to each address.
final class Hub {
    static let serverAddress = 0

    let server: Endpoint
    private(set) var clients: [Int: Endpoint] = [:]
    private var clientOrder: [Int] = []
    var now = Timestamp.zero
    var latency: Duration = .milliseconds(10)
    private var inFlight: [(at: Timestamp, datagram: [UInt8], from: Int, to: Int)] = []
    /// Events per address (the server's under `serverAddress`).
    private(set) var events: [Int: [(ConnectionID, ConnectionEvent)]] = [:]
    /// Bytes and datagrams the server sent to each address, and received from each.
    private(set) var sentTo: [Int: (datagrams: Int, bytes: Int)] = [:]
    private(set) var receivedFrom: [Int: (datagrams: Int, bytes: Int)] = [:]
    /// Every datagram the server sent, with its destination and time.
    private(set) var serverOutput: [(datagram: [UInt8], to: Int)] = []
    private(set) var serverOutputTimes: [Timestamp] = []
    /// Called with every datagram about to reach the server from a client (not for `inject`),
    /// before the server handles it: an on-path observer can inject copies or forgeries first.
    var tap: ((_ datagram: [UInt8], _ from: Int) -> Void)?
    /// When false, the server's application takes its messages without releasing their credit
    /// (``Endpoint/releaseCredit(_:on:)``), so what they hold stays counted.
    var serverReleasesCredit = true
    private var seed: UInt64

    init(server configuration: EndpointConfiguration, seed: UInt64 = 1, security: EndpointSecurity? = nil) {
        self.seed = seed
        server = Endpoint(configuration: configuration, randomness: SeededGenerator(seed: seed), security: security)
    }

    /// The client endpoint at `address` (created on first use).
    func client(
        _ address: Int, configuration: ConnectionConfiguration = ConnectionConfiguration(),
        security: EndpointSecurity? = nil
    ) -> Endpoint {
        if let client = clients[address] { return client }
        let client = Endpoint(
            configuration: EndpointConfiguration(connection: configuration),
            randomness: SeededGenerator(seed: seed &* 1_000_003 &+ UInt64(address)), security: security)
        clients[address] = client
        clientOrder.append(address)
        return client
    }

    /// Opens a connection from the client at `address`.
    @discardableResult
    func connect(from address: Int, configuration: ConnectionConfiguration = ConnectionConfiguration()) -> ConnectionID {
        client(address, configuration: configuration).connect(to: PeerAddress(node: Self.serverAddress), at: now)
    }

    /// The client endpoint at `old` moves to `new`, as behind a NAT whose mapping changed: its
    /// later datagrams come from `new`, datagrams to `old` (in flight or later) reach no one,
    /// and its events are recorded under `new` from now on.
    func rebind(_ old: Int, to new: Int) {
        guard let client = clients.removeValue(forKey: old) else { return }
        clients[new] = client
        clientOrder = clientOrder.map { $0 == old ? new : $0 }
    }

    /// Delivers `datagram` to the server now, as if sent from `address`.
    func inject(_ datagram: [UInt8], from address: Int) {
        receivedFrom[address, default: (0, 0)].datagrams += 1
        receivedFrom[address, default: (0, 0)].bytes += datagram.count
        server.handle(datagram: datagram, from: PeerAddress(node: address), at: now)
    }

    /// Takes every endpoint's pending output and events now.
    func flush() { collect() }

    private func collect() {
        while let (d, to) = server.pollTransmit(at: now) { sent(d, to: to.node!) }
        while let e = serverReleasesCredit ? server.pollEventConsuming() : server.pollEvent() {
            events[Self.serverAddress, default: []].append(e)
        }
        while let (d, to) = server.pollTransmit(at: now) { sent(d, to: to.node!) }
        for address in clientOrder {
            let client = clients[address]!
            while let (d, to) = client.pollTransmit(at: now) { inFlight.append((now + latency, d, address, to.node!)) }
            while let e = client.pollEventConsuming() { events[address, default: []].append(e) }
            while let (d, to) = client.pollTransmit(at: now) { inFlight.append((now + latency, d, address, to.node!)) }
        }
    }

    private func sent(_ datagram: [UInt8], to address: Int) {
        sentTo[address, default: (0, 0)].datagrams += 1
        sentTo[address, default: (0, 0)].bytes += datagram.count
        serverOutput.append((datagram, address))
        serverOutputTimes.append(now)
        if clients[address] != nil { inFlight.append((now + latency, datagram, Self.serverAddress, address)) }
    }

    /// Runs until `limit` of virtual time passed or `condition` holds; returns whether it held.
    @discardableResult
    func run(for limit: Duration, until condition: () -> Bool = { false }) -> Bool {
        let end = now + limit
        collect()
        while !condition() {
            var next = inFlight.map(\.at).min()
            for deadline in [server.nextDeadline()] + clientOrder.map({ clients[$0]!.nextDeadline() }) {
                if let deadline, next == nil || deadline < next! { next = deadline }
            }
            guard let next, next <= end else {
                now = max(now, end)
                return condition()
            }
            if next > now { now = next }
            let due = inFlight.filter { $0.at <= now }
            inFlight.removeAll { $0.at <= now }
            for d in due {
                if d.to == Self.serverAddress {
                    tap?(d.datagram, d.from)
                    receivedFrom[d.from, default: (0, 0)].datagrams += 1
                    receivedFrom[d.from, default: (0, 0)].bytes += d.datagram.count
                    server.handle(datagram: d.datagram, from: PeerAddress(node: d.from), at: now)
                } else {
                    clients[d.to]?.handle(datagram: d.datagram, from: PeerAddress(node: d.from), at: now)
                }
            }
            server.handleTimeout(at: now)
            for address in clientOrder { clients[address]!.handleTimeout(at: now) }
            collect()
        }
        return true
    }

    /// The close reason of a connection at `address`, if it closed.
    func closeReason(at address: Int, _ id: ConnectionID? = nil) -> CloseReason? {
        for (cid, event) in events[address] ?? [] where id == nil || cid == id {
            if case .closed(let reason) = event { return reason }
        }
        return nil
    }

    /// Whether the connection `id` at `address` reported `.connected`.
    func isConnected(at address: Int, _ id: ConnectionID) -> Bool {
        (events[address] ?? []).contains { $0.0 == id && $0.1 == .connected }
    }

    /// Server connections announced as connected.
    var serverConnected: Int { (events[Self.serverAddress] ?? []).filter { $0.1 == .connected }.count }
}
