import RUDPCore

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
    /// Virtual time when the run stopped.
    public var endTime: Duration

    /// Messages offered by the application, accepted by the engine, refused (backlog full),
    /// acknowledged, delivered to the receiver.
    public var messagesOffered: Int
    public var messagesAccepted: Int
    public var messagesRefused: Int
    public var messagesAcknowledged: Int
    public var messagesDelivered: Int
    /// Payload bytes delivered during the window, and in total.
    public var payloadBytesInWindow: Int
    public var payloadBytesDelivered: Int

    /// Goodput over the window, bytes per second.
    public var goodput: Double
    /// The link's nominal rate averaged over the window (nil if unlimited).
    public var capacity: Double?
    /// `(1 − loss) × rate` averaged over the window, partitions counted as zero (nil if unlimited).
    public var bound: Double?
    /// ``bound`` times the payload's share of the bytes on the wire for this message size.
    public var headerBound: Double?

    /// Latency of delivered messages, from offer to delivery.
    public var latencyP50: UInt64?
    public var latencyP99: UInt64?
    public var latencyMax: UInt64?
    public var latencyMean: Double?

    /// Fragments and payload bytes the sender retransmitted.
    public var retransmittedFragments: Int
    public var retransmittedBytes: Int
    /// Fragments the receiver got twice (spurious retransmissions seen by the receiver).
    public var duplicateFragments: Int
    /// Packets the sender declared lost that were acknowledged later.
    public var spuriousLosses: Int
    /// Packets the sender declared lost, and retransmission-timer expirations.
    public var packetsLost: Int
    public var retransmissionTimeouts: Int
    /// Message fragments the sender transmitted for the first time (estimated: messages accepted
    /// times fragments per message).
    public var fragmentsSent: Int

    /// Bytes and datagrams each side handed to the network.
    public var senderWireBytes: Int
    public var receiverWireBytes: Int
    public var senderPackets: Int
    public var receiverPackets: Int
    /// Wire bytes of both sides minus the payload bytes delivered.
    public var overheadBytes: Int

    /// Link counters of the data direction and of the return path.
    public var forwardLink: LinkStatistics
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

    /// Goodput as a fraction of the link's nominal rate (nil if unlimited).
    public var capacityShare: Double? {
        capacity.map { $0 > 0 ? goodput / $0 : 0 }
    }

    /// Overhead bytes per payload byte delivered.
    public var overheadRatio: Double {
        payloadBytesDelivered > 0 ? Double(overheadBytes) / Double(payloadBytesDelivered) : 0
    }
}
