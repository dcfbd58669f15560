/// An ACK frame of a validated DATA packet, read in place (`Specs/PROTOCOL.md` section 5.2): the
/// fixed fields are decoded, the ranges are decoded lazily from the packet's bytes, highest first
/// (``ranges``) or lowest first (``rangesAscending``), without building an ``AckFrame``.
///
/// ``PacketView/init(validating:)`` has checked every rule of section 5.2 (at most 32 ranges,
/// descending, separated by at least one missing packet, none below 0, the lowest above the
/// cumulative point), so iterating needs no checks. The view is only valid while the packet's
/// memory is.
///
/// ```swift
/// if case .ack(let ack) = frame {
///     var walker = ack.makeWalker()
///     for pn in oldestUnacknowledged...newestSent where walker.acknowledges(pn) {
///         markAcknowledged(pn)            // ascending packet numbers, O(1) each
///     }
///     for range in ack.ranges { ... }     // AckRange values, highest first
/// }
/// ```
public struct AckFrameView {
    /// Every packet number below this has been received or abandoned.
    public var cumulative: UInt64
    /// Time between receiving the largest acknowledged packet and sending this ACK, in µs.
    public var ackDelayMicroseconds: UInt32
    /// Number of ranges above ``cumulative`` (0 to ``AckFrame/maximumRanges``).
    public var rangeCount: Int
    /// The encoded ranges: the largest acknowledged (8) and first length (4), then a gap (4) and a
    /// length (4) per further range.
    @usableFromInline var rangeBytes: UnsafeRawPointer

    @inlinable
    init(cumulative: UInt64, ackDelayMicroseconds: UInt32, rangeCount: Int, rangeBytes: UnsafeRawPointer) {
        self.cumulative = cumulative
        self.ackDelayMicroseconds = ackDelayMicroseconds
        self.rangeCount = rangeCount
        self.rangeBytes = rangeBytes
    }

    /// The largest packet number this frame acknowledges (the upper end of the first range, or
    /// `cumulative - 1` without ranges), or nil if it acknowledges none; as
    /// ``AckFrame/largestAcknowledged``.
    @inlinable public var largestAcknowledged: UInt64? {
        if rangeCount > 0 { return rangeBytes.bigEndianUInt64(at: 0) }
        return cumulative > 0 ? cumulative &- 1 : nil
    }

    /// The ranges, highest first (wire order, as ``AckFrame/ranges``).
    @inlinable public var ranges: AckRangeSequence {
        AckRangeSequence(rangeBytes: rangeBytes, rangeCount: rangeCount)
    }

    /// The ranges, lowest first. Finding the lowest range walks the ranges once (at most 32 steps).
    @inlinable public var rangesAscending: AscendingAckRangeSequence {
        AscendingAckRangeSequence(rangeBytes: rangeBytes, rangeCount: rangeCount)
    }

    /// A walker that answers "is `pn` acknowledged?" for ascending packet numbers in O(1) each
    /// (amortised over the ranges).
    @inlinable public func makeWalker() -> AckRangeWalker {
        AckRangeWalker(cumulative: cumulative, ranges: rangesAscending)
    }

    /// Whether this frame acknowledges `pn` (below ``cumulative`` or in a range); walks the
    /// ranges from the highest. For many ascending queries use ``makeWalker()``.
    @inlinable public func acknowledges(_ pn: UInt64) -> Bool {
        if pn < cumulative { return true }
        for range in ranges {
            if pn > range.upper { return false }
            if pn >= range.lower { return true }
        }
        return false
    }

    /// The frame's encoded size, type byte included.
    @inlinable public var encodedSize: Int { EncodedSize.ack(rangeCount: rangeCount) }

    /// The frame as an ``AckFrame`` of the reference codec (allocates the ranges array).
    public var frame: AckFrame {
        AckFrame(cumulative: cumulative, ackDelayMicroseconds: ackDelayMicroseconds, ranges: Array(ranges))
    }
}
