import RUDPWire
import Testing

@testable import RUDPCore

@Suite struct ReceivedPacketTrackerTests {
    @Test func contiguousArrivalAdvancesCumulative() {
        var t = ReceivedPacketTracker()
        for pn in 0..<10 as Range<UInt64> { let fresh = t.insert(pn, at: .zero); #expect(fresh) }
        #expect(t.cumulative == 10)
        #expect(t.ranges.isEmpty)
        let duplicate3 = !t.insert(3, at: .zero); #expect(duplicate3)
    }

    @Test func gapsBecomeSelectiveRangesHighestFirst() {
        var t = ReceivedPacketTracker()
        for pn: UInt64 in [0, 1, 3, 4, 7, 9, 10] { _ = t.insert(pn, at: .zero) }
        #expect(t.cumulative == 2)
        let ack = t.ackFrame(maxRanges: 32, ackDelayMicroseconds: 0)
        #expect(ack.ranges == [AckRange(9, 10), AckRange(7, 7), AckRange(3, 4)])
        #expect((try? ack.validate()) != nil)
        let duplicate7 = !t.insert(7, at: .zero); #expect(duplicate7)
        _ = t.insert(2, at: .zero)
        #expect(t.cumulative == 5)
        let limited = t.ackFrame(maxRanges: 1, ackDelayMicroseconds: 0)
        #expect(limited.ranges == [AckRange(9, 10)])
    }

    @Test func fillingAHoleMergesRanges() {
        var t = ReceivedPacketTracker()
        for pn: UInt64 in [5, 7] { _ = t.insert(pn, at: .zero) }
        _ = t.insert(6, at: .zero)
        #expect(t.ranges == [AckRange(5, 7)])
    }

    @Test func floorSkipsAbandonedPackets() {
        var t = ReceivedPacketTracker()
        for pn: UInt64 in [0, 4, 5, 9] { _ = t.insert(pn, at: .zero) }
        t.applyFloor(4)
        #expect(t.cumulative == 6)
        #expect(t.ranges == [AckRange(9, 9)])
        let duplicate2 = !t.insert(2, at: .zero); #expect(duplicate2)  // below the floor: treated as old
    }

    @Test func rangeCountIsBounded() {
        var t = ReceivedPacketTracker()
        for i in 1...200 as ClosedRange<UInt64> { _ = t.insert(i * 2, at: .zero) }
        #expect(t.ranges.count <= ReceivedPacketTracker.maximumTrackedRanges)
        #expect(t.ranges.last == AckRange(400, 400))
        // Evicted ranges are not claimed as received: the cumulative point stays at the first gap.
        #expect(t.cumulative == 0)
        let old = !t.insert(2, at: .zero)  // evicted: treated as a duplicate
        #expect(old)
        #expect((try? t.ackFrame(maxRanges: 32, ackDelayMicroseconds: 0).validate()) != nil)
    }
}
