import RUDPCore

/// An entry of the simulator's event queue, ordered by time, then by insertion sequence so
/// that simultaneous events run in the order they were scheduled. Plain data (a datagram is a
/// slot number): the queue moves it without reference counting.
struct SimulatorEvent: Comparable {
    enum Action {
        /// Call `handleTimeout` on the node, if `generation` is still its current one.
        case timer(node: Int, generation: UInt64)
        /// Hand the datagram in `datagram` (a ``DatagramStore`` slot) to the destination of
        /// `links[link]`, as sent from `source` (the sender's address, or its external address
        /// after a rebinding).
        case delivery(link: Int, datagram: Int, source: SimulatedAddress)
        /// Drain the node's transmit queue and read its deadline (for newly added nodes).
        case poll(node: Int)
    }

    var time: Timestamp
    var sequence: UInt64
    var action: Action

    static func < (lhs: SimulatorEvent, rhs: SimulatorEvent) -> Bool {
        (lhs.time, lhs.sequence) < (rhs.time, rhs.sequence)
    }

    static func == (lhs: SimulatorEvent, rhs: SimulatorEvent) -> Bool {
        lhs.time == rhs.time && lhs.sequence == rhs.sequence
    }
}
