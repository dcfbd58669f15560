/// Why the simulated network dropped a datagram.
///
/// A struct rather than an enum (swift-nio-ssh's `NIOSSHError` pattern): new impairments bring
/// new reasons, and adding one must not break a caller's exhaustive `switch`. Switch on it with
/// a `default:` branch, or compare with `==`.
public struct DropReason: Sendable, Hashable, CustomStringConvertible {
    fileprivate enum Base: String, Hashable, Sendable {
        case loss, burstLoss = "burst-loss", queueFull = "queue-full", partition, unroutable
    }

    fileprivate var base: Base

    /// Uniform random loss (``LinkOptions/loss``).
    public static let loss = DropReason(base: .loss)
    /// Bursty loss (``LinkOptions/burstLoss``).
    public static let burstLoss = DropReason(base: .burstLoss)
    /// The bottleneck queue was full (``LinkOptions/queueCapacity``).
    public static let queueFull = DropReason(base: .queueFull)
    /// The datagram was sent during a partition (``LinkOptions/partitions``).
    public static let partition = DropReason(base: .partition)
    /// There is no link from the sender to the destination (or no such node).
    public static let unroutable = DropReason(base: .unroutable)

    /// A short name, e.g. `queue-full`.
    public var description: String { base.rawValue }
}
