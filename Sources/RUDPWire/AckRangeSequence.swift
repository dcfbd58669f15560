/// The ranges of an ``AckFrameView``, decoded lazily from the packet's bytes, highest first (the
/// wire order, as ``AckFrame/ranges``). A sequence and its own iterator.
///
/// ```swift
/// for range in ack.ranges where range.upper >= oldestUnacknowledged {
///     acknowledge(range.lower...range.upper)
/// }
/// ```
public struct AckRangeSequence: Sequence, IteratorProtocol {
    @usableFromInline let rangeBytes: UnsafeRawPointer
    @usableFromInline let rangeCount: Int
    @usableFromInline var index = 0
    @usableFromInline var previousLower: UInt64 = 0

    @inlinable
    init(rangeBytes: UnsafeRawPointer, rangeCount: Int) {
        self.rangeBytes = rangeBytes
        self.rangeCount = rangeCount
    }

    /// The next lower range, or nil after the lowest.
    @inlinable
    public mutating func next() -> AckRange? {
        guard index < rangeCount else { return nil }
        // Range k's length is at 8 + 8k; for k >= 1 its gap is just before, at 4 + 8k.
        let upper =
            index == 0
            ? rangeBytes.bigEndianUInt64(at: 0)
            : previousLower &- UInt64(rangeBytes.bigEndianUInt32(at: 4 &+ 8 &* index)) &- 2
        let lower = upper &- UInt64(rangeBytes.bigEndianUInt32(at: 8 &+ 8 &* index))
        previousLower = lower
        index &+= 1
        return AckRange(lower, upper)
    }

    /// The number of ranges not yet returned.
    @inlinable public var underestimatedCount: Int { rangeCount &- index }
}
