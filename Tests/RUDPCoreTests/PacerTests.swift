import RUDPWire
import Testing

@testable import RUDPCore

/// The pacer alone (`Specs/PROTOCOL.md` section 15.2): rate 5/4 × window / SRTT, a burst
/// allowance of window × 2 ms / SRTT kept between 10 and 256 datagrams, integer nanoseconds.
@Suite struct PacerTests {
    static let mds = 1200

    /// Sends packets of `size` at `now` while the pacer lets them go; returns how many went.
    private func burst(_ pacer: inout Pacer, size: Int = mds, window: Int, srtt: UInt64, at now: UInt64, limit: Int = 10_000) -> Int {
        var sent = 0
        while sent < limit, pacer.delay(size: size, room: window, window: window, srtt: srtt, datagramSize: Self.mds, now: now) == nil {
            pacer.onSent(size: size, now: now)
            sent += 1
        }
        return sent
    }

    @Test func theAllowanceIsTwoMillisecondsOfTheWindowBetweenTenAnd256Datagrams() {
        // 50 ms, 2,000 datagrams: 2 ms of it is 80 datagrams.
        var pacer = Pacer()
        #expect(burst(&pacer, window: 2000 * Self.mds, srtt: 50_000_000, at: 1_000_000_000) == 80)
        // A small window on a long path: at least 10 (the initial window).
        pacer = Pacer()
        #expect(burst(&pacer, window: 20 * Self.mds, srtt: 100_000_000, at: 1_000_000_000) == 10)
        // Loopback: 2 ms of the rate is 20 windows, so 256 datagrams (more than the window of
        // 100 lets go: the window, not the pacer, limits there).
        pacer = Pacer()
        #expect(burst(&pacer, window: 100 * Self.mds, srtt: 100_000, at: 1_000_000_000) == 256)
        pacer = Pacer()
        #expect(burst(&pacer, window: 4000 * Self.mds, srtt: 100_000, at: 1_000_000_000) == 256)
    }

    @Test func afterTheBurstPacketsLeaveAtFiveQuartersOfTheWindowPerRTT() {
        // 40 datagrams over 20 ms: 2.5 per ms at 5/4, an allowance of 10 (4 ms of the rate).
        let window = 40 * Self.mds, srtt: UInt64 = 20_000_000
        var pacer = Pacer()
        var now: UInt64 = 5_000_000_000
        let start = now
        #expect(burst(&pacer, window: window, srtt: srtt, at: now) == 10)
        // Driven by the pacer's own deadlines for one second of sending.
        var sent = 0
        var wakeUps = 0
        while now < start + 1_000_000_000 {
            guard let next = pacer.delay(size: Self.mds, room: window, window: window, srtt: srtt, datagramSize: Self.mds, now: now) else {
                pacer.onSent(size: Self.mds, now: now)
                sent += 1
                continue
            }
            #expect(next > now)
            now = next
            wakeUps += 1
        }
        // 2,500 per second (within one allowance), in batches: one wake-up per allowance.
        #expect(abs(sent - 2500) <= 20, "\(sent)")
        #expect(wakeUps <= 260, "\(wakeUps) wake-ups for \(sent) packets")
    }

    @Test func aWaitCoversOnlyWhatTheWindowAllows() {
        // The window has room for 2 more datagrams: the deadline is when 2 are paid for, not 10.
        let window = 40 * Self.mds, srtt: UInt64 = 20_000_000
        var pacer = Pacer()
        let now: UInt64 = 1_000_000_000
        #expect(burst(&pacer, window: window, srtt: srtt, at: now) == 10)
        let perPacket = UInt64(Self.mds) * srtt * 4 / UInt64(5 * window)  // 400 us
        let wait2 = pacer.delay(size: Self.mds, room: 2 * Self.mds, window: window, srtt: srtt, datagramSize: Self.mds, now: now)
        let waitFull = pacer.delay(size: Self.mds, room: window, window: window, srtt: srtt, datagramSize: Self.mds, now: now)
        #expect(wait2 == now + 2 * perPacket)
        #expect(waitFull == now + 10 * perPacket)
    }

    @Test func idleTimeDoesNotBuildABiggerBurst() {
        let window = 40 * Self.mds, srtt: UInt64 = 20_000_000
        var pacer = Pacer()
        #expect(burst(&pacer, window: window, srtt: srtt, at: 1_000_000_000) == 10)
        // An hour later: still one allowance, then paced again.
        #expect(burst(&pacer, window: window, srtt: srtt, at: 3_601_000_000_000) == 10)
        #expect(burst(&pacer, window: window, srtt: srtt, at: 3_601_000_400_000) == 1)
    }

    @Test func extremeInputsNeitherTrapNorHoldForever() {
        var pacer = Pacer()
        // Zero SRTT (a link without delay): nothing is held.
        #expect(burst(&pacer, window: 10 * Self.mds, srtt: 0, at: 1, limit: 1000) == 1000)
        // Zero window: nothing is held either (the window itself blocks).
        pacer = Pacer()
        #expect(pacer.delay(size: Self.mds, room: 0, window: 0, srtt: 1_000_000, datagramSize: Self.mds, now: 1) == nil)
        // Huge SRTT and window, time near the end of the clock: a deadline, no overflow trap.
        pacer = Pacer()
        _ = burst(&pacer, window: Int.max / 8, srtt: .max, at: .max - 1, limit: 300)
        _ = burst(&pacer, window: 2 * Self.mds, srtt: .max, at: .max - 1, limit: 300)
        if let d = pacer.delay(size: Self.mds, room: Self.mds, window: 2 * Self.mds, srtt: .max, datagramSize: Self.mds, now: .max - 1) {
            #expect(d > .max - 1)
        }
        // Time zero.
        pacer = Pacer()
        #expect(burst(&pacer, window: 2 * Self.mds, srtt: 1_000_000, at: 0) == 10)
    }
}
