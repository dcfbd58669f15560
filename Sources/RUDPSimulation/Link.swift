import RUDPCore
import RUDPImpairment

/// One directed link of the simulated network: its `LinkOptions`, its own random generator
/// (forked from the simulator's when the link is connected) and its ``LinkStatistics``.
///
/// Links are created and driven by ``NetworkSimulator``; read them through
/// ``NetworkSimulator/links`` or ``NetworkSimulator/link(from:to:)``.
///
/// **Jitter does not reorder.** Each datagram that is not picked by the reordering option
/// arrives at `max(departure + delay + jitter draw, arrival of the previous such datagram)`.
/// Real paths mostly keep order, and a protocol should be tested against reordering at a rate
/// one chooses (`LinkOptions.reordering`), not at a rate that falls out of the jitter and the
/// send rate. A reordered datagram does not take part in that ordering: it gets an extra delay
/// and later datagrams overtake it.
///
/// ```swift
/// let link = simulator.link(from: client, to: server)!
/// print(link.options, link.statistics)
/// ```
public struct Link: Sendable {
    /// The sending node.
    public let source: SimulatedAddress
    /// The receiving node.
    public let destination: SimulatedAddress
    /// The current conditions (changed by ``NetworkSimulator/updateLink(from:to:options:)``).
    public var options: LinkOptions { model.options }
    /// The link's counters.
    public internal(set) var statistics = LinkStatistics()

    /// The per-datagram decisions (drawing from the link's own random stream).
    private var model: ImpairmentModel

    init(
        from source: SimulatedAddress, to destination: SimulatedAddress, options: LinkOptions,
        generator: SeededGenerator
    ) {
        self.source = source
        self.destination = destination
        self.model = ImpairmentModel(options: options, generator: generator)
    }

    /// Bytes waiting in the bottleneck queue (including the datagram being serialized) at `now`.
    public func queuedBytes(at now: Timestamp) -> Int {
        model.queuedBytes(at: now)
    }

    /// Replaces the options; in-flight datagrams, the queue and the burst state are kept.
    mutating func update(options: LinkOptions) {
        model.update(options: options)
    }

    /// Runs a datagram of `size` bytes, sent at `now`, through the link's stages (see
    /// `LinkOptions`) and counts what happens to it; the caller flips the bits of a corrupted
    /// one.
    mutating func transmit(size: Int, at now: Timestamp) -> ImpairmentModel.Decision {
        statistics.sent += 1
        statistics.bytesSent += size
        let decision = model.decide(size: size, at: now)
        switch decision {
        case let .dropped(reason):
            switch reason {
            case .partition: statistics.droppedByPartition += 1
            case .queueFull: statistics.droppedByQueue += 1
            case .burstLoss: statistics.droppedByBurst += 1
            case .loss: statistics.droppedByLoss += 1
            default: break  // unroutable: not this link's doing
            }
        case let .carried(carried):
            if carried.corrupted { statistics.corrupted += 1 }
            if carried.reordered { statistics.reordered += 1 }
            if carried.duplicateArrival != nil { statistics.duplicated += 1 }
        }
        return decision
    }

    /// Counts a datagram handed to the destination node.
    mutating func recordDelivery(size: Int) {
        statistics.delivered += 1
        statistics.bytesDelivered += size
    }
}
