/// The ranges of an ``AckFrameView``, decoded lazily from the packet's bytes, lowest first. A
/// sequence and its own iterator.
///
/// Making one walks the encoded ranges once from the highest to find the lowest (at most 32
/// steps); each further range is then computed from the one below it in O(1): the range above
/// range k starts at `k.upper + gap(k) + 2`.
///
/// ```swift
/// for range in ack.rangesAscending {
///     sentPackets.acknowledge(range.lower...range.upper)   // oldest first
/// }
/// ```
public struct AscendingAckRangeSequence: Sequence, IteratorProtocol {
    @usableFromInline let rangeBytes: UnsafeRawPointer
    /// Index (0 = highest) of the range ``next()`` returns; -1 when done.
    @usableFromInline var index: Int
    /// Lower end of the range at ``index``.
    @usableFromInline var nextLower: UInt64

    @inlinable
    init(rangeBytes: UnsafeRawPointer, rangeCount: Int) {
        self.rangeBytes = rangeBytes
        self.index = rangeCount &- 1
        var lowest: UInt64 = 0
        if rangeCount > 0 {
            var descending = AckRangeSequence(rangeBytes: rangeBytes, rangeCount: rangeCount)
            while let range = descending.next() { lowest = range.lower }
        }
        self.nextLower = lowest
    }

    /// The next higher range, or nil after the highest.
    @inlinable
    public mutating func next() -> AckRange? {
        guard index >= 0 else { return nil }
        let lower = nextLower
        let upper = lower &+ UInt64(rangeBytes.bigEndianUInt32(at: 8 &+ 8 &* index))
        if index > 0 { nextLower = upper &+ UInt64(rangeBytes.bigEndianUInt32(at: 4 &+ 8 &* index)) &+ 2 }
        index &-= 1
        return AckRange(lower, upper)
    }

    /// The number of ranges not yet returned.
    @inlinable public var underestimatedCount: Int { index &+ 1 }
}
