/// An inclusive range of acknowledged packet numbers.
public struct AckRange: Hashable, Sendable {
    /// Smallest packet number in the range.
    public var lower: UInt64
    /// Largest packet number in the range.
    public var upper: UInt64

    /// The packet numbers `lower ... upper` (`lower` must not exceed `upper`).
    @inlinable
    public init(_ lower: UInt64, _ upper: UInt64) {
        self.lower = lower
        self.upper = upper
    }

    /// Whether packet number `pn` lies in the range.
    @inlinable
    public func contains(_ pn: UInt64) -> Bool { pn >= lower && pn <= upper }
}

/// Acknowledgement of received packets: a cumulative point plus selective ranges.
///
/// Every packet number below ``cumulative`` has been received (or was abandoned by the sender
/// with an ``Frame/ackFloor(_:)``); ``ranges`` list received packets above it, highest first.
///
/// Wire layout after the type byte: cumulative (8), ack delay in µs (4), range count (1); when
/// the count is non-zero, the largest acknowledged (8) and the first range's length (4); then for
/// every further range a gap (4) and a length (4). A range with length `l` and largest `u`
/// covers `u - l ... u`. A gap `g` places the next range's largest at `previousLower - g - 2`:
/// `g + 1` packets between the two ranges are missing.
public struct AckFrame: Hashable, Sendable {
    /// Largest number of ranges one ACK frame may carry.
    public static let maximumRanges = 32

    /// Every packet number below this has been received or abandoned.
    public var cumulative: UInt64
    /// Time between receiving the largest acknowledged packet and sending this ACK, in µs.
    public var ackDelayMicroseconds: UInt32
    /// Received ranges above ``cumulative``: strictly descending and separated by at least one
    /// missing packet; the lowest range starts above `cumulative`.
    public var ranges: [AckRange]

    /// An ACK of everything below `cumulative` plus `ranges` (highest first), sent
    /// `ackDelayMicroseconds` after the largest acknowledged packet arrived.
    public init(cumulative: UInt64, ackDelayMicroseconds: UInt32 = 0, ranges: [AckRange] = []) {
        self.cumulative = cumulative
        self.ackDelayMicroseconds = ackDelayMicroseconds
        self.ranges = ranges
    }

    /// The largest packet number this frame acknowledges, or nil if it acknowledges none.
    public var largestAcknowledged: UInt64? {
        if let first = ranges.first { return first.upper }
        return cumulative > 0 ? cumulative - 1 : nil
    }

    /// Whether this frame acknowledges `pn`.
    public func acknowledges(_ pn: UInt64) -> Bool {
        if pn < cumulative { return true }
        for r in ranges where r.contains(pn) { return true }
        return false
    }

    /// Throws ``WireError/invalidAckRanges`` unless the ranges are well formed.
    public func validate() throws(WireError) {
        if cumulative >= Packet.packetNumberLimit { throw .valueOutOfRange(field: "cumulative") }
        if ranges.count > Self.maximumRanges { throw .tooManyAckRanges(ranges.count) }
        var previousLower: UInt64? = nil
        for r in ranges {
            if r.lower > r.upper || r.upper >= Packet.packetNumberLimit { throw .invalidAckRanges }
            if r.upper - r.lower > UInt64(UInt32.max) { throw .invalidAckRanges }
            if let pl = previousLower {
                // at least one missing packet between ranges, and the gap must fit 32 bits
                guard pl >= 2, r.upper <= pl - 2, pl - r.upper - 2 <= UInt64(UInt32.max) else { throw .invalidAckRanges }
            }
            previousLower = r.lower
        }
        if let last = ranges.last, last.lower <= cumulative { throw .invalidAckRanges }
    }

    static func parse(_ reader: inout ByteReader) throws(WireError) -> AckFrame {
        let cumulative = try reader.readUInt62(field: "cumulative")
        let delay = try reader.readUInt32()
        let count = Int(try reader.readUInt8())
        if count > maximumRanges { throw .tooManyAckRanges(count) }
        var ranges: [AckRange] = []
        if count > 0 {
            ranges.reserveCapacity(count)
            let largest = try reader.readUInt62(field: "largestAcknowledged")
            let length = UInt64(try reader.readUInt32())
            guard length <= largest else { throw .invalidAckRanges }
            ranges.append(AckRange(largest - length, largest))
            for _ in 1..<count {
                let gap = UInt64(try reader.readUInt32())
                let len = UInt64(try reader.readUInt32())
                let previousLower = ranges[ranges.count - 1].lower
                guard previousLower >= gap + 2 else { throw .invalidAckRanges }
                let upper = previousLower - gap - 2
                guard len <= upper else { throw .invalidAckRanges }
                ranges.append(AckRange(upper - len, upper))
            }
        }
        let frame = AckFrame(cumulative: cumulative, ackDelayMicroseconds: delay, ranges: ranges)
        try frame.validate()
        return frame
    }

    func serialize(into out: inout [UInt8]) {
        out.appendBigEndian(cumulative)
        out.appendBigEndian(ackDelayMicroseconds)
        out.appendBigEndian(UInt8(ranges.count))
        var previousLower: UInt64 = 0
        for (i, r) in ranges.enumerated() {
            if i == 0 {
                out.appendBigEndian(r.upper)
            } else {
                out.appendBigEndian(UInt32(truncatingIfNeeded: previousLower - r.upper - 2))
            }
            out.appendBigEndian(UInt32(truncatingIfNeeded: r.upper - r.lower))
            previousLower = r.lower
        }
    }

    /// Encoded size including the frame type byte.
    public var encodedSize: Int {
        1 + 8 + 4 + 1 + (ranges.isEmpty ? 0 : 12 + (ranges.count - 1) * 8)
    }
}
