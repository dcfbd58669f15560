/// Round-trip time estimation and the retransmission timeout, as RFC 6298 computes them.
///
/// SRTT and RTTVAR use alpha = 1/8 and beta = 1/4; RTO = SRTT + max(G, 4·RTTVAR) plus the peer's
/// maximum ack delay (which RFC 9002 adds for delayed acknowledgements), clamped to the
/// configured bounds. Samples are unambiguous because packet numbers are never reused.
public struct RTTEstimator: Sendable {
    /// Clock granularity G: 1 ms.
    public static let granularity: UInt64 = 1_000_000

    /// Smoothed RTT in nanoseconds, nil before the first sample.
    public private(set) var smoothed: UInt64?
    /// RTT variation in nanoseconds.
    public private(set) var variation: UInt64 = 0
    /// Smallest RTT seen, in nanoseconds.
    public private(set) var minimum: UInt64 = .max
    /// Most recent sample, in nanoseconds.
    public private(set) var latest: UInt64 = 0

    let initialRTO: UInt64
    let minimumRTO: UInt64
    let maximumRTO: UInt64

    /// An estimator without samples: the RTO is `initialRTO` until the first sample, then
    /// clamped to `minimumRTO ... maximumRTO` (all in nanoseconds).
    public init(initialRTO: UInt64, minimumRTO: UInt64, maximumRTO: UInt64) {
        self.initialRTO = initialRTO
        self.minimumRTO = minimumRTO
        self.maximumRTO = maximumRTO
    }

    /// Feeds one RTT sample, adjusted for the peer's reported ack delay (RFC 9002 5.3).
    public mutating func addSample(_ rtt: UInt64, ackDelay: UInt64) {
        latest = rtt
        minimum = min(minimum, rtt)
        var adjusted = rtt
        if rtt >= minimum &+ ackDelay { adjusted = rtt - ackDelay }
        guard let srtt = smoothed else {
            smoothed = adjusted
            variation = adjusted / 2
            return
        }
        let delta = srtt > adjusted ? srtt - adjusted : adjusted - srtt
        variation = (3 * variation + delta) / 4
        smoothed = (7 * srtt + adjusted) / 8
    }

    /// The base retransmission timeout (before backoff), in nanoseconds.
    public func rto(peerMaxAckDelay: UInt64) -> UInt64 {
        guard let srtt = smoothed else { return clamp(initialRTO) }
        return clamp(srtt + max(Self.granularity, 4 * variation) + peerMaxAckDelay)
    }

    /// The timeout after `backoff` consecutive expirations: doubled each time, capped at the maximum.
    public func rto(peerMaxAckDelay: UInt64, backoff: Int) -> UInt64 {
        let base = rto(peerMaxAckDelay: peerMaxAckDelay)
        let shift = min(backoff, 40)
        let (v, o) = base.multipliedReportingOverflow(by: 1 << UInt64(shift))
        return o ? maximumRTO : min(v, maximumRTO)
    }

    /// RFC 9002 6.1.2's time threshold: 9/8 of max(SRTT, latest RTT), at least the granularity.
    public var lossDelay: UInt64 {
        let base = max(smoothed ?? initialRTO, latest)
        return max(base + base / 8, Self.granularity)
    }

    private func clamp(_ v: UInt64) -> UInt64 { min(max(v, minimumRTO), maximumRTO) }
}
