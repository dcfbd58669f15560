import RUDPCore

/// A node (a server) under a ``SpoofedFlood``: the flood's spoofed CONNECTs reach it on the
/// flood's schedule, and what it sends to spoofed addresses is counted by the flood and goes
/// nowhere (nobody is there to receive it). Everything else is forwarded unchanged.
///
/// ```swift
/// let flood = SpoofedFlood(options: options)
/// let server = simulator.addNode(FloodedNode(EndpointNode(configuration: config, seed: 2), flood: flood))
/// ```
public final class FloodedNode: SimulatedNode {
    /// The node under attack.
    public let inner: any SimulatedNode
    /// The flood.
    public let flood: SpoofedFlood

    /// Puts `inner` under `flood`.
    public init(_ inner: any SimulatedNode, flood: SpoofedFlood) {
        self.inner = inner
        self.flood = flood
    }

    /// Forwarded to the node.
    public func receive(_ datagram: [UInt8], from source: SimulatedAddress, at now: Timestamp) {
        inner.receive(datagram, from: source, at: now)
    }

    /// Injects the flood's CONNECTs that are due, then runs the node's own timers if due.
    public func handleTimeout(at now: Timestamp) {
        if let next = flood.nextInjection(), next <= now {
            flood.inject(at: now) { datagram, source in inner.receive(datagram, from: source, at: now) }
        }
        if let deadline = inner.nextDeadline(), deadline <= now {
            inner.handleTimeout(at: now)
        }
    }

    /// The node's datagrams; those to spoofed addresses are counted and dropped.
    public func pollTransmit(at now: Timestamp) -> (datagram: [UInt8], destination: SimulatedAddress)? {
        while let next = inner.pollTransmit(at: now) {
            if flood.isSpoofed(next.destination) {
                flood.recordAnswer(next.datagram, to: next.destination)
                continue
            }
            return next
        }
        return nil
    }

    /// The earlier of the node's deadline and the flood's next injection.
    public func nextDeadline() -> Timestamp? {
        switch (inner.nextDeadline(), flood.nextInjection()) {
        case let (a?, b?): return min(a, b)
        case let (a?, nil): return a
        case let (nil, b?): return b
        case (nil, nil): return nil
        }
    }
}
