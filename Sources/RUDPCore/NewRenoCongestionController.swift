/// RFC 9002's NewReno: slow start, congestion avoidance, one reduction per recovery period,
/// and a collapse to the minimum window on persistent congestion.
///
/// ```swift
/// var config = ConnectionConfiguration()
/// config.congestionControllerFactory = { NewRenoCongestionController(maxDatagramSize: $0) }
/// ```
public struct NewRenoCongestionController: CongestionController {
    public let maxDatagramSize: Int
    public private(set) var window: Int
    public private(set) var slowStartThreshold: Int = .max
    private var recoveryStart: Timestamp?
    private var bytesAckedInAvoidance = 0
    public var name: String { "newreno" }

    /// RFC 9002's loss reduction factor: 1/2.
    public static let lossReductionDivisor = 2

    public init(maxDatagramSize: Int) {
        self.maxDatagramSize = maxDatagramSize
        self.window = min(10 * maxDatagramSize, max(14_720, 2 * maxDatagramSize))
    }

    /// The smallest window: two datagrams.
    public var minimumWindow: Int { 2 * maxDatagramSize }

    /// Whether the controller is in slow start.
    public var isInSlowStart: Bool { window < slowStartThreshold }

    public mutating func onPacketSent(bytes: Int, at now: Timestamp) {}

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

    public mutating func onPersistentCongestion() {
        window = minimumWindow
        recoveryStart = nil
        bytesAckedInAvoidance = 0
    }
}
