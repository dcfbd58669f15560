/// Why the simulated network dropped a datagram.
public enum DropReason: Sendable, Hashable, CustomStringConvertible {
    /// Uniform random loss (``LinkOptions/loss``).
    case loss
    /// Bursty loss (``LinkOptions/burstLoss``).
    case burstLoss
    /// The bottleneck queue was full (``LinkOptions/queueCapacity``).
    case queueFull
    /// The datagram was sent during a partition (``LinkOptions/partitions``).
    case partition
    /// There is no link from the sender to the destination (or no such node).
    case unroutable

    /// A short name, e.g. `queue-full`.
    public var description: String {
        switch self {
        case .loss: "loss"
        case .burstLoss: "burst-loss"
        case .queueFull: "queue-full"
        case .partition: "partition"
        case .unroutable: "unroutable"
        }
    }
}
