/// TCP Westwood+ (Mascolo et al.; Linux `tcp_westwood`): NewReno's growth, but after a loss the
/// window falls to the measured bandwidth-delay product instead of being halved.
///
/// The controller estimates the delivery rate from the acknowledged bytes (one sample per
/// minimum RTT or 1 ms, whichever is longer; the estimate is the largest of the last eight, as
/// BBR's bandwidth filter does, where Westwood+ smooths them) and tracks the minimum RTT. On a congestion event it sets the slow-start threshold to rate × minimum RTT and reduces
/// the window to it if the window was larger. A loss caused by a full queue comes with a grown
/// RTT, so the estimate is below the window and the window shrinks to what the path delivers; a
/// random loss on an uncongested path (radio, a lossy tunnel) leaves the window almost as it was.
/// This is why it is the default: NewReno on a path with 10% random loss keeps two or three
/// packets in flight whatever the path's capacity.
///
/// ```swift
/// var config = ConnectionConfiguration()
/// config.congestionControllerFactory = { WestwoodCongestionController(maxDatagramSize: $0) }
/// ```
public struct WestwoodCongestionController: CongestionController {
    /// Slow start, congestion avoidance and recovery periods are NewReno's; only the
    /// reduction after a loss differs.
    private var reno: NewRenoCongestionController
    /// The largest datagram the connection sends, in bytes: the unit of window growth.
    public var maxDatagramSize: Int { reno.maxDatagramSize }
    /// The congestion window in bytes (NewReno's, reduced to the estimated bandwidth-delay
    /// product after a loss).
    public var window: Int { reno.window }
    /// The slow-start threshold in bytes: `Int.max` until the first loss, then the estimated
    /// bandwidth-delay product (or half the window before the first rate sample).
    public var slowStartThreshold: Int { reno.slowStartThreshold }
    /// Smallest RTT sample seen (acknowledgement time minus send time), in nanoseconds.
    public private(set) var minimumRTT: UInt64?
    /// Delivery rate in bytes per second: the largest of the recent samples (0 until the first).
    public var bandwidthEstimate: Double {
        var largest = 0.0
        for i in 0..<rateCount where recentRates[i] > largest { largest = recentRates[i] }
        return largest
    }
    /// The last ``rateSamplesKept`` rate samples, inline (no allocation, nothing to copy on write).
    private var recentRates = InlineArray<8, Double>(repeating: 0)
    private var rateCount = 0
    private var nextRateSlot = 0
    private var sampleStart: Timestamp?
    private var sampleBytes = 0
    /// The short name used in statistics and `rudp simulate` reports: `"westwood"`.
    public var name: String { "westwood" }

    /// Rate samples the estimate is the maximum of: a stall (a retransmission timeout, an
    /// application pause) lowers one sample, not the estimate.
    public static let rateSamplesKept = 8
    /// Shortest interval over which one delivery-rate sample is taken.
    public static let minimumSampleInterval: UInt64 = 1_000_000

    /// A controller in slow start with the initial window for datagrams of
    /// `maxDatagramSize` bytes.
    public init(maxDatagramSize: Int) {
        reno = NewRenoCongestionController(maxDatagramSize: maxDatagramSize)
    }

    /// The smallest window: two datagrams.
    public var minimumWindow: Int { reno.minimumWindow }

    /// Whether the controller is in slow start.
    public var isInSlowStart: Bool { reno.isInSlowStart }

    /// The estimated bandwidth-delay product in bytes: rate × (minimum RTT + 1 ms), 0 before
    /// the first rate sample. The millisecond is RFC 9002's timer granularity: on a fast path
    /// (loopback, a LAN) the RTT varies by that much with the hosts' scheduling, and without
    /// it that jitter would be mistaken for a queue and the window cut to a few packets.
    public var estimatedBDP: Int {
        guard let rtt = minimumRTT, bandwidthEstimate > 0 else { return 0 }
        let bytes = bandwidthEstimate * Double(rtt + RTTEstimator.granularity) / 1e9
        return bytes >= Double(Int.max / 2) ? Int.max / 2 : Int(bytes)
    }

    /// Nothing to do: the window depends on acknowledgements and losses only.
    public mutating func onPacketSent(bytes: Int, at now: Timestamp) {}

    /// Grows the window: by `bytes` in slow start, by one datagram per window acknowledged in
    /// congestion avoidance; packets sent before the current recovery period started do not count. Also takes a delivery-rate and RTT sample.
    public mutating func onPacketAcknowledged(bytes: Int, sentTime: Timestamp, at now: Timestamp) {
        let sample = now.nanoseconds(since: sentTime)
        if minimumRTT == nil || sample < minimumRTT! { minimumRTT = sample }
        sampleBytes += bytes
        if let start = sampleStart {
            let elapsed = now.nanoseconds(since: start)
            if elapsed >= max(minimumRTT ?? 0, Self.minimumSampleInterval) {
                let rate = Double(sampleBytes) * 1e9 / Double(elapsed)
                recentRates[nextRateSlot] = rate
                if rateCount < Self.rateSamplesKept { rateCount += 1 }
                nextRateSlot = (nextRateSlot + 1) % Self.rateSamplesKept
                sampleStart = now
                sampleBytes = 0
            }
        } else {
            sampleStart = now
            sampleBytes = 0
        }

        reno.onPacketAcknowledged(bytes: bytes, sentTime: sentTime, at: now)
    }

    /// Sets the slow-start threshold to the estimated bandwidth-delay product (at least
    /// ``minimumWindow``) and lowers the window to it, once per recovery period.
    public mutating func onCongestionEvent(newestLostSentTime: Timestamp, at now: Timestamp) {
        guard reno.startsRecovery(newestLostSentTime: newestLostSentTime, at: now) else { return }
        let bdp = estimatedBDP
        // Before the first rate sample there is nothing to go on: behave like NewReno.
        let threshold = max(bdp > 0 ? bdp : window / NewRenoCongestionController.lossReductionDivisor, minimumWindow)
        reno.reduce(threshold: threshold, window: min(window, threshold))
    }

    /// Collapses the window to ``minimumWindow`` and restarts slow start (RFC 9002 section 7.6).
    public mutating func onPersistentCongestion() {
        reno.onPersistentCongestion()
    }
}
