import RUDPCore
import RUDPSimulation

/// A bounded histogram of latencies in nanoseconds with a relative error below 0.4 %:
/// exact below 256 ns, then 128 buckets per power of two. Its size is fixed (about 60 KB),
/// however many values it records; minimum, maximum, count and sum are exact.
///
/// ```swift
/// var histogram = LatencyHistogram()
/// histogram.record(25_000_000)                  // 25 ms
/// print(histogram.percentile(0.99) ?? 0)         // ≈ 25_000_000
/// ```
public struct LatencyHistogram: Sendable, Equatable {
    private static let exactLimit: UInt64 = 256
    private static let subBuckets = 128
    private static let bucketCount = 256 + (63 - 8 + 1) * subBuckets

    private var counts: [Int]
    /// How many values were recorded.
    public private(set) var count = 0
    /// The smallest value recorded, if any.
    public private(set) var minimum: UInt64?
    /// The largest value recorded, if any.
    public private(set) var maximum: UInt64?
    /// The sum of the values (saturating).
    public private(set) var sum: UInt64 = 0

    /// An empty histogram.
    public init() {
        counts = [Int](repeating: 0, count: Self.bucketCount)
    }

    /// The mean of the values, if any.
    public var mean: Double? {
        count > 0 ? Double(sum) / Double(count) : nil
    }

    /// Records one value.
    public mutating func record(_ value: UInt64) {
        counts[Self.bucket(of: value)] += 1
        count += 1
        minimum = Swift.min(minimum ?? value, value)
        maximum = Swift.max(maximum ?? value, value)
        let (total, overflow) = sum.addingReportingOverflow(value)
        sum = overflow ? .max : total
    }

    /// The value below or at which a fraction `quantile` (0...1) of the values lie (the middle
    /// of its bucket, clamped to the exact minimum and maximum); nil if empty.
    public func percentile(_ quantile: Double) -> UInt64? {
        guard count > 0, let minimum, let maximum else { return nil }
        let q = Swift.min(1, Swift.max(0, quantile))
        let rank = Swift.max(1, Int((q * Double(count)).rounded(.up)))
        if rank >= count { return maximum }
        var seen = 0
        for (index, n) in counts.enumerated() where n > 0 {
            seen += n
            if seen >= rank {
                let (low, high) = Self.range(of: index)
                let middle = low + (high - low) / 2
                return Swift.min(maximum, Swift.max(minimum, middle))
            }
        }
        return maximum
    }

    /// Adds every value of `other`.
    public mutating func merge(_ other: LatencyHistogram) {
        for index in counts.indices { counts[index] += other.counts[index] }
        count += other.count
        if let m = other.minimum { minimum = Swift.min(minimum ?? m, m) }
        if let m = other.maximum { maximum = Swift.max(maximum ?? m, m) }
        let (total, overflow) = sum.addingReportingOverflow(other.sum)
        sum = overflow ? .max : total
    }

    static func bucket(of value: UInt64) -> Int {
        if value < exactLimit { return Int(value) }
        let exponent = 63 - value.leadingZeroBitCount          // >= 8
        let top = Int(value >> UInt64(exponent - 7))             // 128 ... 255
        return 256 + (exponent - 8) * subBuckets + (top - subBuckets)
    }

    /// The smallest and largest value that fall in bucket `index`.
    static func range(of index: Int) -> (UInt64, UInt64) {
        if index < Int(exactLimit) { return (UInt64(index), UInt64(index)) }
        let exponent = (index - 256) / subBuckets + 8
        let top = UInt64((index - 256) % subBuckets + subBuckets)
        let shift = UInt64(exponent - 7)
        let low = top << shift
        let high = exponent == 63 && top == 255 ? UInt64.max : ((top + 1) << shift) - 1
        return (low, high)
    }
}
