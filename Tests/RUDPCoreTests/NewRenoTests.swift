import RUDPCore
import Testing

@Suite struct NewRenoTests {
    let t0 = Timestamp.zero

    @Test func initialAndMinimumWindowsFollowRFC9002() {
        let cc = NewRenoCongestionController(maxDatagramSize: 1200)
        #expect(cc.window == 12_000)
        #expect(cc.minimumWindow == 2400)
        #expect(NewRenoCongestionController(maxDatagramSize: 1500).window == 14_720)
    }

    @Test func slowStartGrowsByBytesAcknowledged() {
        var cc = NewRenoCongestionController(maxDatagramSize: 1200)
        cc.onPacketAcknowledged(bytes: 1200, sentTime: t0, at: t0 + .milliseconds(10))
        #expect(cc.window == 13_200)
        #expect(cc.isInSlowStart)
    }

    @Test func lossHalvesOncePerRecoveryPeriod() {
        var cc = NewRenoCongestionController(maxDatagramSize: 1200)
        let lossTime = t0 + .milliseconds(100)
        cc.onCongestionEvent(newestLostSentTime: t0 + .milliseconds(50), at: lossTime)
        #expect(cc.window == 6000)
        // a second loss of a packet sent before the recovery started does not reduce again
        cc.onCongestionEvent(newestLostSentTime: t0 + .milliseconds(60), at: t0 + .milliseconds(110))
        #expect(cc.window == 6000)
        // acks of packets sent before recovery do not grow the window
        cc.onPacketAcknowledged(bytes: 1200, sentTime: t0 + .milliseconds(90), at: t0 + .milliseconds(120))
        #expect(cc.window == 6000)
        // a loss of a packet sent after recovery started reduces again
        cc.onCongestionEvent(newestLostSentTime: t0 + .milliseconds(150), at: t0 + .milliseconds(200))
        #expect(cc.window == 3000)
        #expect(!cc.isInSlowStart)
    }

    @Test func congestionAvoidanceAddsOneDatagramPerWindow() {
        var cc = NewRenoCongestionController(maxDatagramSize: 1000)
        cc.onCongestionEvent(newestLostSentTime: t0, at: t0 + .milliseconds(1))  // 10000 -> 5000
        #expect(cc.window == 5000)
        for _ in 0..<5 { cc.onPacketAcknowledged(bytes: 1000, sentTime: t0 + .milliseconds(2), at: t0 + .milliseconds(3)) }
        #expect(cc.window == 6000)
    }

    @Test func persistentCongestionCollapsesToMinimum() {
        var cc = NewRenoCongestionController(maxDatagramSize: 1200)
        cc.onPersistentCongestion()
        #expect(cc.window == 2400)
    }
}
