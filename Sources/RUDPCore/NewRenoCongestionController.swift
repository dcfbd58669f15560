/// RFC 9002's NewReno: slow start, congestion avoidance, one reduction per recovery period,
/// and a collapse to the minimum window on persistent congestion.
///
/// ```swift
/// var config = ConnectionConfiguration()
/// config.congestionControllerFactory = { NewRenoCongestionController(maxDatagramSize: $0) }
/// ```
public struct NewRenoCongestionController: CongestionController {
    /// The largest datagram the connection sends, in bytes: the unit of window growth.
    public let maxDatagramSize: Int
    /// The congestion window in bytes: initially RFC 9002's min(10 datagrams, max(14,720 bytes,
    /// 2 datagrams)), grown by slow start and congestion avoidance, reduced on loss.
    public private(set) var window: Int
    /// The slow-start threshold in bytes: `Int.max` until the first loss, then the window
    /// the last reduction left.
    public private(set) var slowStartThreshold: Int = .max
    private var recoveryStart: Timestamp?
    private var bytesAckedInAvoidance = 0
    /// The short name used in statistics and `rudp simulate` reports: `"newreno"`.
    public var name: String { "newreno" }

    /// RFC 9002's loss reduction factor: 1/2.
    public static let lossReductionDivisor = 2

    /// A controller in slow start with the initial window for datagrams of
    /// `maxDatagramSize` bytes.
    public init(maxDatagramSize: Int) {
        self.maxDatagramSize = maxDatagramSize
        self.window = min(10 * maxDatagramSize, max(14_720, 2 * maxDatagramSize))
    }

    /// The smallest window: two datagrams.
    public var minimumWindow: Int { 2 * maxDatagramSize }

    /// Whether the controller is in slow start.
    public var isInSlowStart: Bool { window < slowStartThreshold }

    /// Nothing to do: the window depends on acknowledgements and losses only.
    public mutating func onPacketSent(bytes: Int, at now: Timestamp) {}

    /// Grows the window: by `bytes` in slow start, by one datagram per window acknowledged in
    /// congestion avoidance; packets sent before the current recovery period started do not count.
    public mutating func onPacketAcknowledged(bytes: Int, sentTime: Timestamp, at now: Timestamp) {
        if let start = recoveryStart, sentTime <= start { return }
        if window < slowStartThreshold {
            window += bytes
        } else {
            bytesAckedInAvoidance += bytes
            if bytesAckedInAvoidance >= window {
                bytesAckedInAvoidance -= window
                window += maxDatagramSize
            }
        }
    }

    /// Halves the window (at least ``minimumWindow``), once per recovery period: losses of packets
    /// sent before the period started do not reduce it again.
    public mutating func onCongestionEvent(newestLostSentTime: Timestamp, at now: Timestamp) {
        guard startsRecovery(newestLostSentTime: newestLostSentTime, at: now) else { return }
        let threshold = max(window / Self.lossReductionDivisor, minimumWindow)
        reduce(threshold: threshold, window: threshold)
    }

    /// Whether the loss of a packet sent at `newestLostSentTime` starts a new recovery period
    /// (at most one reduction per round trip); if it does, the period starts `now`.
    mutating func startsRecovery(newestLostSentTime: Timestamp, at now: Timestamp) -> Bool {
        if let start = recoveryStart, newestLostSentTime <= start { return false }
        recoveryStart = now
        return true
    }

    /// Sets the slow-start threshold and the window after a loss (for controllers that only
    /// change how much the window is reduced, such as ``WestwoodCongestionController``).
    mutating func reduce(threshold: Int, window newWindow: Int) {
        slowStartThreshold = threshold
        window = newWindow
        bytesAckedInAvoidance = 0
    }

    /// Collapses the window to ``minimumWindow`` and restarts slow start (RFC 9002 section 7.6).
    public mutating func onPersistentCongestion() {
        window = minimumWindow
        recoveryStart = nil
        bytesAckedInAvoidance = 0
    }
}
