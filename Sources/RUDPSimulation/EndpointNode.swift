import RUDPCore
import RUDPWire

/// Puts an ``Endpoint`` on the simulated network.
///
/// After every delivery or timeout it drains the endpoint's events and hands each to
/// ``onEvent`` (which may send more messages); the simulator then drains its datagrams. The
/// node's application consumes every message at once: the node releases its credit
/// (``Endpoint/releaseCredit(_:on:)``) as it takes the event, before ``onEvent``.
/// Messages sent from outside a callback need ``NetworkSimulator/poll(_:)`` on this node's address.
///
/// ```swift
/// let simulator = NetworkSimulator(seed: 7)
/// let server = EndpointNode(configuration: EndpointConfiguration(acceptsConnections: true), seed: 1)
/// server.onEvent = { id, event in
///     if case .message(let m) = event { _ = try? server.endpoint.send(m.bytes, on: id) }   // echo
/// }
/// let serverAddress = simulator.addNode(server)
/// ```
public final class EndpointNode: SimulatedNode {
    /// The engine this node drives.
    public let endpoint: Endpoint
    /// Called for every event, in order, from inside the simulator's callbacks.
    public var onEvent: ((ConnectionID, ConnectionEvent) -> Void)?
    /// Where the endpoint writes each datagram.
    private var scratch = TransmitScratch()

    /// A node running an endpoint with `configuration`, connection IDs drawn from a
    /// ``SeededGenerator`` seeded with `seed` (a simulation is reproducible), and
    /// optional packet security.
    public init(configuration: EndpointConfiguration, seed: UInt64, security: EndpointSecurity? = nil) {
        endpoint = Endpoint(configuration: configuration, randomness: SeededGenerator(seed: seed), security: security)
    }

    public func receive(_ datagram: [UInt8], from source: SimulatedAddress, at now: Timestamp) {
        endpoint.handle(datagram: datagram, from: source.peerAddress, at: now)
        drainEvents()
    }

    public func handleTimeout(at now: Timestamp) {
        endpoint.handleTimeout(at: now)
        drainEvents()
    }

    public func pollTransmit(at now: Timestamp) -> (datagram: [UInt8], destination: SimulatedAddress)? {
        if let next = scratch.poll(endpoint, at: now) { return next }
        // Transmitting can end a connection (its final CLOSE went out): report that, and give the
        // handler's reaction a chance to go out too.
        drainEvents()
        return scratch.poll(endpoint, at: now)
    }

    public func nextDeadline() -> Timestamp? {
        endpoint.nextDeadline()
    }

    /// Hands every pending event to ``onEvent``, releasing each message's credit first.
    public func drainEvents() {
        while let (id, event) = endpoint.pollEvent() {
            if case .message(let message) = event { endpoint.releaseCredit(message, on: id) }
            onEvent?(id, event)
        }
    }
}
