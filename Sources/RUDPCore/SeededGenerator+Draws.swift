/// The few draws the simulator, the impairment model and the tests need, written out here
/// (rather than using the standard library's `random(in:using:)`) so a seed replays the same run
/// whatever the toolchain.
///
/// ```swift
/// var rng = SeededGenerator(seed: 7)
/// if rng.chance(0.1) { print("lost") }
/// let delay = rng.uniform(through: 5_000_000)   // 0 ... 5 ms in nanoseconds
/// ```
extension SeededGenerator {
    /// True with probability `p`; draws nothing when `p <= 0`.
    public mutating func chance(_ p: Double) -> Bool {
        if p <= 0 { return false }
        return nextUnitDouble() < p
    }

    /// A uniform integer in `0 ... bound` (multiply-high; the bias is below 2⁻⁶⁴ × bound).
    public mutating func uniform(through bound: UInt64) -> UInt64 {
        if bound == 0 { return 0 }
        if bound == .max { return next() }
        return next().multipliedFullWidth(by: bound + 1).high
    }

    /// A uniform double in `range`.
    public mutating func uniform(in range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * nextUnitDouble()
    }
}
