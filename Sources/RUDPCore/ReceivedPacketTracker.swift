import RUDPWire

/// The receiver's record of which packet numbers arrived: a cumulative point plus a bounded,
/// ascending list of ranges above it. Used to drop duplicates and to build ACK frames.
///
/// When more than ``maximumTrackedRanges`` ranges would be needed, the lowest range is evicted:
/// packets at or below it are then treated as duplicates (``duplicateFloor``), but the
/// cumulative point sent in ACKs never moves past a packet that did not arrive, so the sender
/// never takes a lost packet for acknowledged (Specs/PROTOCOL.md §9.1).
struct ReceivedPacketTracker {
    /// Ranges kept above the cumulative point; beyond this the lowest range is folded into it.
    static let maximumTrackedRanges = 64

    /// Every packet number below this has arrived or was abandoned by the sender.
    private(set) var cumulative: UInt64 = 0
    /// Packets below this are dropped as duplicates even if not covered by `cumulative`.
    private(set) var duplicateFloor: UInt64 = 0
    /// Disjoint, ascending, non-adjacent ranges above `cumulative + 1`.
    private(set) var ranges: [AckRange] = []
    /// The largest packet number seen, and when.
    private(set) var largest: UInt64?
    private(set) var largestTime: Timestamp = .zero

    /// Records `pn`; returns false if it is a duplicate (or below the cumulative point).
    mutating func insert(_ pn: UInt64, at now: Timestamp) -> Bool {
        if pn < cumulative || pn < duplicateFloor { return false }
        // The first range whose upper >= pn: past the last range when pn is above it (packets
        // arriving in order behind a gap, the common case with loss), else a binary search.
        var lo = 0, hi = ranges.count
        if hi > 0 && ranges[hi - 1].upper < pn {
            lo = hi
        } else {
            while lo < hi {
                let mid = (lo + hi) / 2
                if ranges[mid].upper < pn { lo = mid + 1 } else { hi = mid }
            }
        }
        if lo < ranges.count && ranges[lo].lower <= pn { return false }
        if largest == nil || pn > largest! {
            largest = pn
            largestTime = now
        }
        if pn == cumulative {
            cumulative += 1
            if let first = ranges.first, first.lower == cumulative {
                cumulative = first.upper + 1
                ranges.removeFirst()
            }
            return true
        }
        // insert at lo, merging with neighbours
        let joinsPrevious = lo > 0 && ranges[lo - 1].upper + 1 == pn
        let joinsNext = lo < ranges.count && ranges[lo].lower == pn + 1
        switch (joinsPrevious, joinsNext) {
        case (true, true):
            ranges[lo - 1].upper = ranges[lo].upper
            ranges.remove(at: lo)
        case (true, false):
            ranges[lo - 1].upper = pn
        case (false, true):
            ranges[lo].lower = pn
        case (false, false):
            ranges.insert(AckRange(pn, pn), at: lo)
            if ranges.count > Self.maximumTrackedRanges {
                duplicateFloor = ranges[0].upper + 1
                ranges.removeFirst()
            }
        }
        return true
    }

    /// The sender no longer awaits acknowledgements below `floor`.
    mutating func applyFloor(_ floor: UInt64) {
        guard floor > cumulative else { return }
        cumulative = floor
        while let first = ranges.first, first.lower <= cumulative {
            cumulative = max(cumulative, first.upper + 1)
            ranges.removeFirst()
        }
        duplicateFloor = max(duplicateFloor, cumulative)
    }

    /// Gives the range list's storage back if it is empty (the connection went idle).
    mutating func shrinkIfEmpty() {
        if ranges.isEmpty { ranges = [] }
    }

    /// Whether packets are missing below the largest received.
    var hasGaps: Bool { !ranges.isEmpty }

    /// An ACK frame describing what arrived, with at most `maxRanges` ranges (the highest ones).
    func ackFrame(maxRanges: Int, ackDelayMicroseconds: UInt32) -> AckFrame {
        let count = min(maxRanges, ranges.count, AckFrame.maximumRanges)
        var out: [AckRange] = []
        out.reserveCapacity(count)
        var i = ranges.count - 1
        while out.count < count {
            out.append(ranges[i])
            i -= 1
        }
        return AckFrame(cumulative: cumulative, ackDelayMicroseconds: ackDelayMicroseconds, ranges: out)
    }
}
