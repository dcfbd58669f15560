import RUDPCore

/// A node whose incoming datagrams pass through a ``NetworkAttacker`` first; everything else is
/// forwarded unchanged.
///
/// ```swift
/// let attacker = NetworkAttacker(options: AttackOptions(seed: 1))
/// let address = simulator.addNode(AttackedNode(EndpointNode(configuration: config, seed: 2), attacker: attacker))
/// ```
public final class AttackedNode: SimulatedNode {
    /// The node under attack.
    public let inner: any SimulatedNode
    /// The attacker (may be shared by several nodes, so it replays across directions).
    public let attacker: NetworkAttacker

    /// Puts `inner` behind `attacker`.
    public init(_ inner: any SimulatedNode, attacker: NetworkAttacker) {
        self.inner = inner
        self.attacker = attacker
    }

    /// Lets the attacker interfere, then hands the node what the attacker delivers.
    public func receive(_ datagram: [UInt8], from source: SimulatedAddress, at now: Timestamp) {
        attacker.interfere(with: datagram, from: source) { bytes, from in
            inner.receive(bytes, from: from, at: now)
        }
    }

    /// Forwarded to the node.
    public func handleTimeout(at now: Timestamp) { inner.handleTimeout(at: now) }

    /// Forwarded to the node (the attacker sees the datagrams when they arrive at their receiver).
    public func pollTransmit(at now: Timestamp) -> (datagram: [UInt8], destination: SimulatedAddress)? {
        inner.pollTransmit(at: now)
    }

    /// Forwarded to the node.
    public func nextDeadline() -> Timestamp? { inner.nextDeadline() }
}
