import Testing

@testable import RUDPCore

@Suite struct RTTEstimatorTests {
    let ms: UInt64 = 1_000_000

    func estimator() -> RTTEstimator {
        RTTEstimator(initialRTO: 250 * ms, minimumRTO: 20 * ms, maximumRTO: 60_000 * ms)
    }

    @Test func initialRTOBeforeAnySample() {
        #expect(estimator().rto(peerMaxAckDelay: 0) == 250 * ms)
    }

    @Test func firstSampleFollowsRFC6298() {
        var e = estimator()
        e.addSample(100 * ms, ackDelay: 0)
        #expect(e.smoothed == 100 * ms)
        #expect(e.variation == 50 * ms)
        // RTO = SRTT + max(G, 4 * RTTVAR) = 100 + 200
        #expect(e.rto(peerMaxAckDelay: 0) == 300 * ms)
        #expect(e.rto(peerMaxAckDelay: 5 * ms) == 305 * ms)
    }

    @Test func laterSamplesUseAlphaAndBeta() {
        var e = estimator()
        e.addSample(100 * ms, ackDelay: 0)
        e.addSample(180 * ms, ackDelay: 0)
        // RTTVAR = 3/4 * 50 + 1/4 * |100 - 180| = 57.5; SRTT = 7/8 * 100 + 1/8 * 180 = 110
        #expect(e.variation == 57_500_000)
        #expect(e.smoothed == 110 * ms)
    }

    @Test func ackDelayIsSubtractedOnlyAboveMinimum() {
        var e = estimator()
        e.addSample(10 * ms, ackDelay: 0)
        e.addSample(20 * ms, ackDelay: 5 * ms)  // 20 >= 10 + 5: adjusted to 15
        #expect(e.latest == 20 * ms)
        #expect(e.smoothed == (7 * 10 * ms + 15 * ms) / 8)
        var f = estimator()
        f.addSample(10 * ms, ackDelay: 0)
        f.addSample(12 * ms, ackDelay: 5 * ms)  // 12 < 10 + 5: not adjusted
        #expect(f.smoothed == (7 * 10 * ms + 12 * ms) / 8)
    }

    @Test func clampedToMinimumAndBackedOffToMaximum() {
        var e = estimator()
        for _ in 0..<50 { e.addSample(100_000, ackDelay: 0) }  // 0.1 ms LAN
        #expect(e.rto(peerMaxAckDelay: 0) == 20 * ms)
        #expect(e.rto(peerMaxAckDelay: 0, backoff: 1) == 40 * ms)
        #expect(e.rto(peerMaxAckDelay: 0, backoff: 3) == 160 * ms)
        #expect(e.rto(peerMaxAckDelay: 0, backoff: 30) == 60_000 * ms)
        #expect(e.rto(peerMaxAckDelay: 0, backoff: 1000) == 60_000 * ms)
    }

    @Test func granularityFloorsTheVarianceTerm() {
        var e = estimator()
        for _ in 0..<200 { e.addSample(50 * ms, ackDelay: 0) }
        // RTTVAR decays towards 0, G = 1 ms keeps the margin
        #expect(e.rto(peerMaxAckDelay: 0) >= 51 * ms)
        #expect(e.lossDelay == 50 * ms + 50 * ms / 8)
    }
}
