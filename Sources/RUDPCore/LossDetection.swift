/// The sender's recovery state (`Specs/PROTOCOL.md` sections 9.5, 10 and 11): the RTT estimate,
/// the retransmission timer's start and backoff, the probes a timeout allows, and what the
/// peer's acknowledgements told so far. Times in integer nanoseconds.
struct LossDetection {
    var rtt: RTTEstimator
    /// When the retransmission timer was (re)started; nil when it is stopped.
    var rtoStart: UInt64?
    /// Consecutive expirations (the timeout doubles with each).
    var rtoBackoff = 0
    /// Ack-eliciting packets allowed past the congestion window after an expiry.
    var probesAllowed = 0
    /// The largest packet number the peer acknowledged.
    var largestAcked: UInt64?
    /// The largest cumulative point the peer sent (section 9.4's c).
    var peerCumulative: UInt64 = 0
    /// The largest ACK_FLOOR this side has sent: the peer's cumulative point below it may cover
    /// packet numbers the peer never received (section 9.5).
    var largestFloorSent: UInt64 = 0
    /// Whether the newest ack-eliciting packet carried a PING, which the peer acknowledges
    /// without delay: the retransmission timer then need not wait for the peer's max_ack_delay.
    var lastAckElicitingRequestedImmediateAck = false
    /// The last forward progress (section 12.1).
    var lastForwardProgress: UInt64

    init(rtt: RTTEstimator, at now: UInt64) {
        self.rtt = rtt
        lastForwardProgress = now
    }

    /// The retransmission timer's deadline: the RTO doubled per backoff, up to the maximum RTO
    /// and never beyond a quarter of the peer timeout (a lossy path gets at least four more
    /// tries before the peer is declared gone).
    func retransmissionDeadline(peerMaxAckDelay: UInt64, peerTimeout: UInt64) -> UInt64? {
        guard let start = rtoStart else { return nil }
        let ackDelay = lastAckElicitingRequestedImmediateAck ? 0 : peerMaxAckDelay
        let backedOff = rtt.rto(peerMaxAckDelay: ackDelay, backoff: rtoBackoff)
        let cap = max(rtt.rto(peerMaxAckDelay: peerMaxAckDelay), peerTimeout / 4)
        return Timestamp(nanoseconds: start).adding(nanoseconds: min(backedOff, cap)).nanoseconds
    }

    /// RFC 9002 7.6's persistent-congestion duration, with the current estimate (nil before the
    /// first RTT sample).
    func persistentCongestionDuration(peerMaxAckDelay: UInt64) -> UInt64? {
        rtt.smoothed.map { srtt in
            (srtt + max(4 * rtt.variation, RTTEstimator.granularity) + peerMaxAckDelay) * 3
        }
    }
}
