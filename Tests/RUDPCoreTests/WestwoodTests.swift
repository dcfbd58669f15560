import RUDPCore
import Testing

@Suite struct WestwoodTests {
    let t0 = Timestamp.zero

    /// Acknowledges `packets` packets of `bytes` each, one every `spacing`, each with RTT `rtt`.
    func deliver(
        _ cc: inout WestwoodCongestionController, packets: Int, bytes: Int = 1200,
        from start: Timestamp, spacing: Duration, rtt: Duration
    ) -> Timestamp {
        var now = start
        for _ in 0..<packets {
            now = now + spacing
            cc.onPacketAcknowledged(
                bytes: bytes,
                sentTime: Timestamp(
                    nanoseconds: now.nanoseconds - UInt64(rtt.components.attoseconds / 1_000_000_000) - UInt64(rtt.components.seconds)
                        * 1_000_000_000), at: now)
        }
        return now
    }

    @Test func startsLikeNewReno() {
        let cc = WestwoodCongestionController(maxDatagramSize: 1200)
        #expect(cc.window == NewRenoCongestionController(maxDatagramSize: 1200).window)
        #expect(cc.minimumWindow == 2400)
        #expect(cc.estimatedBDP == 0)
        #expect(cc.name == "westwood")
    }

    @Test func withoutARateSampleALossHalvesTheWindow() {
        var cc = WestwoodCongestionController(maxDatagramSize: 1200)
        cc.onCongestionEvent(newestLostSentTime: t0, at: t0 + .milliseconds(1))
        #expect(cc.window == 6000)
    }

    @Test func aLossCutsTheWindowToTheMeasuredBandwidthDelayProduct() {
        var cc = WestwoodCongestionController(maxDatagramSize: 1200)
        // 1200 bytes every 100 µs = 12 MB/s, RTT 9 ms: BDP = 12e6 × (9 + 1) ms = 120,000 bytes.
        let now = deliver(&cc, packets: 2000, from: t0 + .milliseconds(10), spacing: .microseconds(100), rtt: .milliseconds(9))
        #expect(cc.minimumRTT == 9_000_000)
        #expect(abs(cc.bandwidthEstimate - 12e6) < 12e6 * 0.02, "\(cc.bandwidthEstimate)")
        let grown = cc.window
        #expect(grown > 130_000, "slow start grew the window past the BDP: \(grown)")
        cc.onCongestionEvent(newestLostSentTime: Timestamp(nanoseconds: now.nanoseconds - 1_000_000), at: now)
        #expect(abs(cc.window - 120_000) <= 2_400, "window after the loss: \(cc.window)")
        #expect(!cc.isInSlowStart)
    }

    @Test func aRandomLossBelowTheBDPLeavesTheWindowAlone() {
        var cc = WestwoodCongestionController(maxDatagramSize: 1200)
        // An early loss ends slow start (12,000 -> 6,000), then 24 MB/s at an RTT of 40 ms: the
        // window grows by congestion avoidance only, far below rate × RTT (about 984,000 bytes).
        cc.onCongestionEvent(newestLostSentTime: t0, at: t0 + .milliseconds(1))
        let now = deliver(&cc, packets: 1000, from: t0 + .milliseconds(50), spacing: .microseconds(50), rtt: .milliseconds(40))
        let before = cc.window
        #expect(cc.estimatedBDP > 900_000, "\(cc.estimatedBDP)")
        #expect(before < 100_000, "\(before)")
        cc.onCongestionEvent(newestLostSentTime: Timestamp(nanoseconds: now.nanoseconds - 1_000_000), at: now)
        #expect(cc.window == before)
    }

    @Test func oneReductionPerRecoveryPeriodAndCollapseOnPersistentCongestion() {
        var cc = WestwoodCongestionController(maxDatagramSize: 1200)
        cc.onCongestionEvent(newestLostSentTime: t0 + .milliseconds(5), at: t0 + .milliseconds(10))
        let afterFirst = cc.window
        cc.onCongestionEvent(newestLostSentTime: t0 + .milliseconds(8), at: t0 + .milliseconds(12))
        #expect(cc.window == afterFirst, "a packet sent before the recovery started reduces nothing more")
        cc.onPersistentCongestion()
        #expect(cc.window == 2400)
    }
}
