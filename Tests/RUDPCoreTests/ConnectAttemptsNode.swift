import RUDPCore
import RUDPSimulation

/// A legitimate client: opens a new connection to `server` every `interval` from `start` until
/// `end`, and counts each attempt as a success if it is connected within the connect timeout of
/// its configuration (the engine gives up then). A connected attempt sends one message and
/// closes gracefully.
final class ConnectAttemptsNode: SimulatedNode {
    let endpoint: Endpoint
    let server: SimulatedAddress
    let interval: Duration
    let end: Timestamp
    private var scratch = TransmitScratch()
    private var nextAttempt: Timestamp
    private var started: [ConnectionID: Timestamp] = [:]
    private(set) var attempts = 0
    private(set) var successes = 0
    private(set) var failures: [(ConnectionID, CloseReason)] = []
    /// Time from the attempt to `.connected`, for each success.
    private(set) var connectTimes: [Duration] = []

    init(
        configuration: ConnectionConfiguration, server: SimulatedAddress, seed: UInt64, interval: Duration,
        start: Timestamp, end: Timestamp, security: EndpointSecurity? = nil
    ) {
        endpoint = Endpoint(
            configuration: EndpointConfiguration(connection: configuration), randomness: SeededGenerator(seed: seed),
            security: security)
        self.server = server
        self.interval = interval
        self.end = end
        self.nextAttempt = start
    }

    /// Attempts that ended one way or the other.
    var finished: Int { successes + failures.count }

    func receive(_ datagram: [UInt8], from source: SimulatedAddress, at now: Timestamp) {
        endpoint.handle(datagram: datagram, from: source.peerAddress, at: now)
        drain(at: now)
    }

    func handleTimeout(at now: Timestamp) {
        if now >= nextAttempt && nextAttempt < end {
            let id = endpoint.connect(to: server.peerAddress, at: now)
            started[id] = now
            attempts += 1
            nextAttempt = nextAttempt + interval
        }
        endpoint.handleTimeout(at: now)
        drain(at: now)
    }

    func pollTransmit(at now: Timestamp) -> (datagram: [UInt8], destination: SimulatedAddress)? {
        if let next = scratch.poll(endpoint, at: now) { return next }
        drain(at: now)
        return scratch.poll(endpoint, at: now)
    }

    func nextDeadline() -> Timestamp? {
        let attempt: Timestamp? = nextAttempt < end ? nextAttempt : nil
        switch (endpoint.nextDeadline(), attempt) {
        case let (a?, b?): return min(a, b)
        case let (a?, nil): return a
        case let (nil, b?): return b
        case (nil, nil): return nil
        }
    }

    private func drain(at now: Timestamp) {
        while let (id, event) = endpoint.pollEventConsuming() {
            switch event {
            case .connected:
                if let start = started.removeValue(forKey: id) {
                    successes += 1
                    connectTimes.append(now - start)
                }
                _ = try? endpoint.send(Array("hello".utf8), on: id)
                endpoint.close(id, at: now)
            case .closed(let reason):
                if started.removeValue(forKey: id) != nil { failures.append((id, reason)) }
            default:
                break
            }
        }
    }
}
