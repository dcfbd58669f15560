import RUDPCore
import RUDPSimulation

/// What one experiment measured. Rates are in bytes per second, times in nanoseconds of
/// virtual time.
///
/// - **Goodput**: application payload bytes delivered during the measurement window, divided
///   by its length. The window opens when the handshake completes; it closes at the last
///   delivery when a message count is given and everything arrived, at the end of the
///   workload's duration otherwise (or when the run gave up). With a duration, the run then
///   goes on for at most ``ExperimentRunner/drainLimit`` so that messages in flight arrive:
///   their latency is recorded, their bytes count in ``payloadBytesDelivered`` but not in goodput.
/// - **Bound**: `(1 − loss) × rate` averaged over the window (zero during partitions): what a
///   perfect protocol could deliver if the link carried only payload. ``headerBound``
///   additionally discounts the engine's packet and frame headers.
/// - **Retransmissions**: message fragments the sender transmitted again; spurious ones are
///   those the receiver already had (``duplicateFragments``), and the sender's own count of
///   losses later found not to be (``spuriousLosses``).
/// - **Overhead**: bytes both sides put on the wire minus the payload bytes delivered.
///
/// ```swift
/// let result = try ExperimentRunner.run(setup)
/// print(result.goodput / Double(result.capacity ?? 1), result.latencyP99 ?? 0)
/// ```
public struct ExperimentResult: Sendable, Equatable {
    /// Whether the workload finished: all messages delivered (count mode), or the duration ran out.
    public var completed: Bool
    /// When the handshake completed, if it did.
    public var handshakeTime: Duration?
    /// The measurement window.
    public var window: Duration
    /// When the window closed, from the start of the run.
    public var windowEnd: Duration
    /// Virtual time when the run stopped.
    public var endTime: Duration

    /// Messages the application offered.
    public var messagesOffered: Int
    /// Messages the engine accepted (`send` succeeded).
    public var messagesAccepted: Int
    /// Messages dropped by the application because its backlog was full (rate mode).
    public var messagesRefused: Int
    /// Reliable messages the receiver acknowledged.
    public var messagesAcknowledged: Int
    /// Messages delivered to the receiving application.
    public var messagesDelivered: Int
    /// Payload bytes delivered during the window (the goodput's numerator).
    public var payloadBytesInWindow: Int
    /// Payload bytes delivered in total, including after the window.
    public var payloadBytesDelivered: Int

    /// Goodput over the window, bytes per second.
    public var goodput: Double
    /// The link's nominal rate averaged over the window (nil if unlimited).
    public var capacity: Double?
    /// `(1 − loss) × rate` averaged over the window, partitions counted as zero (nil if unlimited).
    public var bound: Double?
    /// ``bound`` times the payload's share of the bytes on the wire for this message size.
    public var headerBound: Double?

    /// Median latency of delivered messages, from offer to delivery.
    public var latencyP50: UInt64?
    /// 99th percentile latency.
    public var latencyP99: UInt64?
    /// Largest latency.
    public var latencyMax: UInt64?
    /// Mean latency.
    public var latencyMean: Double?

    /// Fragments the sender retransmitted.
    public var retransmittedFragments: Int
    /// Payload bytes the sender retransmitted.
    public var retransmittedBytes: Int
    /// Fragments the receiver got twice (spurious retransmissions seen by the receiver).
    public var duplicateFragments: Int
    /// Packets the sender declared lost that were acknowledged later.
    public var spuriousLosses: Int
    /// Packets the sender declared lost.
    public var packetsLost: Int
    /// The sender's retransmission-timer expirations.
    public var retransmissionTimeouts: Int
    /// Message fragments the sender transmitted for the first time (estimated: messages accepted
    /// times fragments per message).
    public var fragmentsSent: Int

    /// Bytes the sender handed to the network.
    public var senderWireBytes: Int
    /// Bytes the receiver handed to the network (acknowledgements).
    public var receiverWireBytes: Int
    /// Datagrams the sender handed to the network.
    public var senderPackets: Int
    /// Datagrams the receiver handed to the network.
    public var receiverPackets: Int
    /// Wire bytes of both sides minus the payload bytes delivered.
    public var overheadBytes: Int

    /// Link counters of the data direction.
    public var forwardLink: LinkStatistics
    /// Link counters of the return path.
    public var backwardLink: LinkStatistics
    /// Why the connection ended during the run, if it did.
    public var closeReason: String?
    /// The simulator's trace digest: equal for equal runs.
    public var traceDigest: UInt64
    /// Payload bytes delivered in each ``sampleInterval`` from the start of the run.
    public var deliveredPerInterval: [Int]
    /// The width of the ``deliveredPerInterval`` buckets.
    public var sampleInterval: Duration
    /// The data direction's `(1 − loss) × rate` bound in each interval (nil entries if unlimited).
    public var boundPerInterval: [Double?]

    /// Retransmitted fragments per message accepted (p / (1 − p) for uniform loss p and
    /// single-fragment messages).
    public var retransmissionRatio: Double {
        messagesAccepted > 0 ? Double(retransmittedFragments) / Double(messagesAccepted) : 0
    }

    /// How many of ``deliveredPerInterval``'s buckets end before the window closed (at least
    /// one); later ones are partial or hold messages drained after sending stopped.
    public var intervalsInWindow: Int {
        let interval = max(1, sampleInterval.nanosecondsClamped)
        let whole = Int(windowEnd.nanosecondsClamped / interval)
        return min(deliveredPerInterval.count, max(1, whole))
    }

    /// Goodput as a fraction of the link's nominal rate (nil if unlimited).
    public var capacityShare: Double? {
        capacity.map { $0 > 0 ? goodput / $0 : 0 }
    }

    /// Overhead bytes per payload byte delivered.
    public var overheadRatio: Double {
        payloadBytesDelivered > 0 ? Double(overheadBytes) / Double(payloadBytesDelivered) : 0
    }
}
