/// Answers "does this ACK acknowledge packet `pn`?" for non-decreasing packet numbers, in O(1)
/// each, amortised: the walk over a sent-packet store in packet-number order that ACK processing
/// does. Made by ``AckFrameView/makeWalker()``.
///
/// A packet is acknowledged when it is below the frame's cumulative point or inside one of its
/// ranges (as ``AckFrame/acknowledges(_:)`` says). Asking about a smaller number than the one
/// before is a programming error (checked in debug builds).
///
/// ```swift
/// var walker = ack.makeWalker()
/// var pn = oldestUnacknowledged
/// while pn <= newestSent {
///     if walker.acknowledges(pn) { markAcknowledged(pn) }
///     pn += 1
/// }
/// ```
public struct AckRangeWalker {
    @usableFromInline let cumulative: UInt64
    @usableFromInline var ranges: AscendingAckRangeSequence
    /// The lowest range whose upper end is at or above the last number asked about;
    /// `UInt64.max ... UInt64.max` once the ranges are exhausted (no packet number is that large).
    @usableFromInline var lower: UInt64
    @usableFromInline var upper: UInt64
    @usableFromInline var lastAsked: UInt64 = 0

    @inlinable
    init(cumulative: UInt64, ranges: AscendingAckRangeSequence) {
        self.cumulative = cumulative
        self.ranges = ranges
        if let first = self.ranges.next() {
            lower = first.lower
            upper = first.upper
        } else {
            lower = .max
            upper = .max
        }
    }

    /// Whether `pn` is acknowledged; `pn` must be at least the number of the previous call.
    @inlinable
    public mutating func acknowledges(_ pn: UInt64) -> Bool {
        assert(pn >= lastAsked, "AckRangeWalker: packet numbers must not decrease")
        lastAsked = pn
        if pn < cumulative { return true }
        while upper < pn {
            if let next = ranges.next() {
                lower = next.lower
                upper = next.upper
            } else {
                lower = .max
                upper = .max
            }
        }
        return pn >= lower
    }
}
