/// Counters of one directed link (or, summed with `+`, of a whole network).
///
/// `sent` counts datagrams handed to the link; each is then either dropped (one of the
/// `droppedBy…` counters), or carried, possibly with a duplicate. `delivered` counts datagrams
/// (duplicates included) actually handed to the destination node, so datagrams still in flight
/// are ``inFlight``.
///
/// ```swift
/// let stats = simulator.statistics(from: client, to: server)!
/// print(stats.delivered, stats.dropped, stats.lossRate)
/// ```
public struct LinkStatistics: Sendable, Equatable, CustomStringConvertible {
    /// Datagrams handed to the link.
    public var sent = 0
    /// Datagrams (duplicates included) handed to the destination node.
    public var delivered = 0
    /// Datagrams dropped by uniform loss.
    public var droppedByLoss = 0
    /// Datagrams dropped by bursty (Gilbert-Elliott) loss.
    public var droppedByBurst = 0
    /// Datagrams dropped because the bottleneck queue was full.
    public var droppedByQueue = 0
    /// Datagrams dropped because they were sent during a partition.
    public var droppedByPartition = 0
    /// Extra copies created by duplication.
    public var duplicated = 0
    /// Datagrams held back by the reordering option.
    public var reordered = 0
    /// Datagrams whose bits were flipped.
    public var corrupted = 0
    /// Bytes handed to the link.
    public var bytesSent = 0
    /// Bytes (duplicates included) handed to the destination node.
    public var bytesDelivered = 0

    /// Creates zeroed counters.
    public init() {}

    /// All drops together.
    public var dropped: Int { droppedByLoss + droppedByBurst + droppedByQueue + droppedByPartition }

    /// Datagrams (duplicates included) carried by the link but not yet delivered.
    public var inFlight: Int { sent + duplicated - dropped - delivered }

    /// Fraction of sent datagrams that were dropped, or 0 if nothing was sent.
    public var lossRate: Double { sent > 0 ? Double(dropped) / Double(sent) : 0 }

    /// The sum of two sets of counters.
    public static func + (lhs: LinkStatistics, rhs: LinkStatistics) -> LinkStatistics {
        var sum = lhs
        sum += rhs
        return sum
    }

    /// Adds `rhs` to `lhs`.
    public static func += (lhs: inout LinkStatistics, rhs: LinkStatistics) {
        lhs.sent += rhs.sent
        lhs.delivered += rhs.delivered
        lhs.droppedByLoss += rhs.droppedByLoss
        lhs.droppedByBurst += rhs.droppedByBurst
        lhs.droppedByQueue += rhs.droppedByQueue
        lhs.droppedByPartition += rhs.droppedByPartition
        lhs.duplicated += rhs.duplicated
        lhs.reordered += rhs.reordered
        lhs.corrupted += rhs.corrupted
        lhs.bytesSent += rhs.bytesSent
        lhs.bytesDelivered += rhs.bytesDelivered
    }

    /// Every counter on one line.
    public var description: String {
        "sent \(sent) (\(bytesSent) B), delivered \(delivered) (\(bytesDelivered) B), "
            + "dropped \(dropped) [loss \(droppedByLoss), burst \(droppedByBurst), "
            + "queue \(droppedByQueue), partition \(droppedByPartition)], "
            + "duplicated \(duplicated), reordered \(reordered), corrupted \(corrupted), "
            + "in flight \(inFlight)"
    }
}
