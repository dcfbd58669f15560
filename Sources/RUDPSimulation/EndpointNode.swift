import RUDPCore
import RUDPWire

/// Puts an `Endpoint` on the simulated network.
///
/// Its events go to ``onEvent`` (which may send more messages) before it is asked for
/// datagrams, and again whenever it has nothing more to send, until there are none: the
/// datagrams of one instant are handled first, then the events they caused, then the output.
/// Through the ``SimulatedNode`` methods (used by nodes that wrap this one) it takes its events
/// after every datagram. The node's application consumes every message at once: the node
/// releases its credit (`Endpoint.releaseCredit(_:on:)`) as it takes the event, before
/// ``onEvent``. Messages sent from outside a callback need ``NetworkSimulator/poll(_:)`` on
/// this node's address.
///
/// ```swift
/// let simulator = NetworkSimulator(seed: 7)
/// let server = EndpointNode(configuration: EndpointConfiguration(acceptsConnections: true), seed: 1)
/// server.onEvent = { id, event in
///     if case .message(let m) = event { _ = try? server.endpoint.send(m.buffer, on: id) }   // echo
/// }
/// let serverAddress = simulator.addNode(server)
/// ```
public final class EndpointNode: DirectSimulatedNode {
    /// The engine this node drives.
    public let endpoint: Endpoint
    /// Called for every event, in order, from inside the simulator's callbacks.
    public var onEvent: ((ConnectionID, ConnectionEvent) -> Void)? {
        get { handler.pointee }
        set { handler.pointee = newValue }
    }
    /// Where ``onEvent`` lives: read as a stored property of the class, it paid a run-time
    /// exclusivity check on every poll.
    private let handler: UnsafeMutablePointer<((ConnectionID, ConnectionEvent) -> Void)?>
    /// Where the endpoint writes each datagram (for ``pollTransmit(at:)`` only).
    private var scratch = TransmitScratch()

    /// A node running an endpoint with `configuration`, connection IDs drawn from a
    /// `SeededGenerator` seeded with `seed` (a simulation is reproducible), and
    /// optional packet security.
    public init(configuration: EndpointConfiguration, seed: UInt64, security: EndpointSecurity? = nil) {
        endpoint = Endpoint(configuration: configuration, randomness: SeededGenerator(seed: seed), security: security)
        handler = .allocate(capacity: 1)
        handler.initialize(to: nil)
    }

    deinit {
        handler.deinitialize(count: 1)
        handler.deallocate()
    }

    /// The largest datagram the endpoint writes (``DirectSimulatedNode``).
    public var maximumDatagramSize: Int { endpoint.maximumDatagramSize }

    /// Hands a datagram from the network to the endpoint (``SimulatedNode``).
    public func receive(_ datagram: UnsafeRawBufferPointer, from source: SimulatedAddress, at now: Timestamp) {
        endpoint.handle(datagram: datagram, from: source.peerAddress, at: now)
    }

    /// Writes the next datagram into `buffer`; its size and destination, nil when there is none (``DirectSimulatedNode``).
    public func pollTransmit(into buffer: UnsafeMutableRawBufferPointer, at now: Timestamp) -> (
        byteCount: Int, destination: SimulatedAddress
    )? {
        // Events first: the handler's sends go out with what the input provoked (an ACK with
        // the data it lets through), and a taken message frees its credit.
        drainEvents()
        while true {
            if let transmit = endpoint.pollTransmit(into: buffer, at: now) {
                return (transmit.byteCount, SimulatedAddress(transmit.destination))
            }
            // Transmitting can end a connection (its final CLOSE went out): report that, and
            // give the handler's reaction a chance to go out too.
            guard drainEvents() else { return nil }
        }
    }

    /// Hands a datagram from the network to the endpoint (``SimulatedNode``).
    public func receive(_ datagram: [UInt8], from source: SimulatedAddress, at now: Timestamp) {
        endpoint.handle(datagram: datagram, from: source.peerAddress, at: now)
        drainEvents()
    }

    /// Runs the endpoint's timers due at `now` (``SimulatedNode``).
    public func handleTimeout(at now: Timestamp) {
        endpoint.handleTimeout(at: now)
        drainEvents()
    }

    /// The next datagram to send and its destination, nil when there is none (``SimulatedNode``).
    public func pollTransmit(at now: Timestamp) -> (datagram: [UInt8], destination: SimulatedAddress)? {
        if let next = scratch.poll(endpoint, at: now) { return next }
        // Transmitting can end a connection (its final CLOSE went out): report that, and give the
        // handler's reaction a chance to go out too.
        drainEvents()
        return scratch.poll(endpoint, at: now)
    }

    /// When the node next needs ``handleTimeout(at:)`` (``SimulatedNode``).
    public func nextDeadline() -> Timestamp? {
        endpoint.nextDeadline()
    }

    /// Hands every pending event to ``onEvent``, releasing each message's credit first;
    /// returns whether there was any.
    @discardableResult
    public func drainEvents() -> Bool {
        guard let (firstID, firstEvent) = endpoint.pollEvent() else { return false }
        if case .message(let message) = firstEvent { endpoint.releaseCredit(message, on: firstID) }
        handler.pointee?(firstID, firstEvent)
        while let (id, event) = endpoint.pollEvent() {
            if case .message(let message) = event { endpoint.releaseCredit(message, on: id) }
            handler.pointee?(id, event)
        }
        return true
    }
}
