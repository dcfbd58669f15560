import RUDPSecurity
import Testing

/// The replay window: edges (width, far-future jumps, the top of the packet number space) and a
/// property test against a Set-based model.
@Suite("ReplayWindow")
struct ReplayWindowTests {
    static let width = UInt64(ReplayWindow.width)
    static let limit: UInt64 = 1 << 62

    @Test func emptyWindowAcceptsEveryValidNumber() {
        let window = ReplayWindow()
        for pn: UInt64 in [0, 1, 1023, 1024, Self.limit - 1] { #expect(window.check(pn)) }
        for pn: UInt64 in [Self.limit, Self.limit + 1, .max] { #expect(window.status(of: pn) == .tooOld) }
    }

    @Test func widthBoundary() {
        var window = ReplayWindow()
        window.accept(5000)
        #expect(window.status(of: 5000) == .duplicate)
        #expect(window.status(of: 5000 - Self.width + 1) == .fresh, "the oldest number inside the window")
        #expect(window.status(of: 5000 - Self.width) == .tooOld, "the first number outside")
        window.accept(5000 - Self.width + 1)
        #expect(window.status(of: 5000 - Self.width + 1) == .duplicate)
        window.accept(5001)  // the oldest slot now falls out of the window
        #expect(window.status(of: 5000 - Self.width + 1) == .tooOld)
        #expect(window.status(of: 5000 - Self.width + 2) == .fresh)
    }

    @Test func slotsAreClearedWhenTheWindowSlides() {
        var window = ReplayWindow()
        for pn in UInt64(0)..<Self.width { window.accept(pn) }
        // moving by exactly the width reuses every slot: the new numbers must all look fresh
        window.accept(2 * Self.width - 1)
        for pn in Self.width..<(2 * Self.width - 1) { #expect(window.check(pn), "\(pn)") }
        #expect(window.status(of: Self.width - 1) == .tooOld)
        // moving by one less than the width keeps exactly one old number
        var second = ReplayWindow()
        for pn in UInt64(0)..<Self.width { second.accept(pn) }
        second.accept(2 * Self.width - 2)
        #expect(second.status(of: Self.width - 1) == .duplicate)
        for pn in Self.width..<(2 * Self.width - 2) { #expect(second.check(pn), "\(pn)") }
    }

    @Test func farFutureClearsTheMap() {
        var window = ReplayWindow()
        for pn in UInt64(0)..<100 { window.accept(pn) }
        window.accept(1_000_000 * Self.width + 3)  // a multiple of the width away: same slots
        for pn: UInt64 in [3, 50, 99] { #expect(window.status(of: pn) == .tooOld) }
        for pn in (1_000_000 * Self.width + 3 - Self.width + 1)..<(1_000_000 * Self.width + 3) {
            #expect(window.check(pn), "\(pn)")
        }
    }

    @Test func topOfThePacketNumberSpace() {
        var window = ReplayWindow()
        window.accept(0)
        window.accept(Self.limit - 1)
        #expect(window.highest == Self.limit - 1)
        #expect(window.status(of: Self.limit - 1) == .duplicate)
        #expect(window.status(of: Self.limit - Self.width) == .fresh)
        #expect(window.status(of: Self.limit - Self.width - 1) == .tooOld)
        #expect(window.status(of: 0) == .tooOld)
        for pn: UInt64 in [Self.limit, .max, .max - 1, UInt64.max / 2] {
            #expect(window.status(of: pn) == .tooOld)
            window.accept(pn)  // ignored
        }
        #expect(window.highest == Self.limit - 1)
        // a window whose first number is the last one
        var top = ReplayWindow()
        top.accept(Self.limit - 1)
        #expect(top.check(Self.limit - 2) && !top.check(Self.limit - 1) && !top.check(0))
    }

    @Test func acceptIgnoresRejectedNumbers() {
        var window = ReplayWindow()
        window.accept(3000)
        let before = window
        window.accept(3000)
        window.accept(3000 - Self.width)
        window.accept(0)
        #expect(window == before)
    }

    /// The window agrees with a model that remembers every accepted number in a Set, over random
    /// sequences biased towards the edges (window boundary, duplicates, bursts, jumps of every
    /// size, 2^62). After each move of the window its oldest slots are compared in full.
    @Test("agrees with a Set-based model", arguments: 0..<16)
    func property(run: Int) {
        let seed = 0x5EC0_0000 + UInt64(run)
        var rng = TestRandom(seed: seed)
        let bases: [UInt64] = [0, Self.limit - 5000, Self.limit - 1, rng.below(Self.limit)]
        let base = bases[run % bases.count]
        var window = ReplayWindow()
        var seen = Set<UInt64>()
        var highest: UInt64? = nil
        var recent: [UInt64] = []

        func modelStatus(_ pn: UInt64) -> ReplayWindow.Status {
            if pn >= Self.limit { return .tooOld }
            guard let highest else { return .fresh }
            if pn > highest { return .fresh }
            if highest - pn >= Self.width { return .tooOld }
            return seen.contains(pn) ? .duplicate : .fresh
        }

        for step in 0..<1500 {
            let top = highest ?? base
            var candidates: [UInt64]
            switch rng.below(12) {
            case 0, 1:  // a burst of consecutive numbers (fills the window densely)
                candidates = (1...(1 + rng.below(150))).map { top &+ $0 }
            case 2:  // just above the highest
                candidates = [top &+ rng.below(4)]
            case 3, 4:  // inside or just outside the window below the highest
                let back = rng.below(Self.width + 40)
                candidates = [top >= back ? top - back : rng.below(8)]
            case 5:  // exact copy of something accepted
                candidates = [recent.isEmpty ? top : recent[Int(rng.below(UInt64(recent.count)))]]
            case 6:  // a jump of about the width
                candidates = [top &+ Self.width &- 2 &+ rng.below(5)]
            case 7:  // a far jump, rarely one past 2^62 (which ends the useful part of a run)
                candidates = [top &+ (rng.chance(95) ? rng.below(1 << 40) : rng.below(Self.limit))]
            case 8:  // the edges of the number space (runs starting at 2^62 - 5000 and 2^62 - 1 test the top)
                candidates = [[0, Self.limit, .max, base][Int(rng.below(4))]]
            case 9:  // anywhere (mostly not a valid packet number)
                candidates = [rng.next()]
            case 10:  // a jump of up to the width
                candidates = [top &+ rng.below(Self.width)]
            default:  // the oldest numbers of the window and the first ones outside it
                let back = Self.width - 3 + rng.below(5)
                candidates = [top >= back ? top - back : 0]
            }
            for pn in candidates {
                let expected = modelStatus(pn)
                let actual = window.status(of: pn)
                if actual != expected {
                    Issue.record(
                        "seed \(seed) step \(step): pn \(pn) is \(actual), model says \(expected) (highest \(String(describing: highest)))")
                    return
                }
                // only verified packets are accepted; sometimes a rejected one is offered too
                let previousHighest = highest
                if expected == .fresh ? rng.chance(90) : rng.chance(10) {
                    window.accept(pn)
                    if expected == .fresh {
                        seen.insert(pn)
                        recent.append(pn)
                        if recent.count > 64 { recent.removeFirst() }
                        highest = max(highest ?? pn, pn)
                    }
                }
                if window.highest != highest {
                    Issue.record(
                        "seed \(seed) step \(step): highest \(String(describing: window.highest)) != model \(String(describing: highest))")
                    return
                }
                // after the window moved, compare its oldest slots (the ones a move reuses)
                if let highest, highest != previousHighest {
                    let moved = highest - (previousHighest ?? highest)
                    let low = highest >= Self.width + 2 ? highest - Self.width - 2 : 0
                    for n in low...min(highest, low + min(moved + 3, 70)) where window.status(of: n) != modelStatus(n) {
                        Issue.record(
                            "seed \(seed) step \(step) after accepting \(pn): pn \(n) is \(window.status(of: n)), model says \(modelStatus(n))"
                        )
                        return
                    }
                }
            }
            // now and then the whole window
            if step % 100 == 0, let highest {
                let low = highest >= Self.width + 2 ? highest - Self.width - 2 : 0
                for n in low...(highest + 2) where window.status(of: n) != modelStatus(n) {
                    Issue.record(
                        "seed \(seed) step \(step): pn \(n) is \(window.status(of: n)), model says \(modelStatus(n)) (highest \(highest))")
                    return
                }
            }
        }
    }
}
