import RUDPCore

/// The address of a node on the simulated network.
public struct SimulatedAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Index of the node, in the order nodes were added.
    public var node: Int
    /// The address of the `node`-th node added to the simulator.
    public init(node: Int) { self.node = node }
    /// Orders addresses by node index.
    public static func < (lhs: SimulatedAddress, rhs: SimulatedAddress) -> Bool { lhs.node < rhs.node }
    /// `node0`, `node1`, ...
    public var description: String { "node\(node)" }
}

/// Anything that can sit on the simulated network: a sans-IO endpoint driven in virtual time.
///
/// The simulator calls these methods only from its own run loop, with non-decreasing times.
/// After every `handleTimeout`, and after handing over every datagram that arrives at one instant
/// (several `receive` calls in a row), it drains `pollTransmit` until it returns nil, then asks
/// `nextDeadline()`. A node that conforms to ``DirectSimulatedNode`` reads and writes the
/// simulator's buffers instead of arrays.
public protocol SimulatedNode: AnyObject {
    /// A datagram arrived from `source` at time `now`.
    func receive(_ datagram: [UInt8], from source: SimulatedAddress, at now: Timestamp)
    /// The deadline returned by `nextDeadline()` has been reached (or passed).
    func handleTimeout(at now: Timestamp)
    /// The next datagram to put on the wire, if any.
    func pollTransmit(at now: Timestamp) -> (datagram: [UInt8], destination: SimulatedAddress)?
    /// When `handleTimeout` should next be called, or nil if nothing is pending.
    func nextDeadline() -> Timestamp?
}
