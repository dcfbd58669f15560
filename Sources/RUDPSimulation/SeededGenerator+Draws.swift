import RUDPCore

/// The few draws the simulator needs, written out here (rather than using the standard
/// library's `random(in:using:)`) so a seed replays the same run whatever the toolchain.
extension SeededGenerator {
    /// True with probability `p`; draws nothing when `p <= 0`.
    mutating func chance(_ p: Double) -> Bool {
        if p <= 0 { return false }
        return nextUnitDouble() < p
    }

    /// A uniform integer in `0 ... bound` (multiply-high; the bias is below 2⁻⁶⁴ × bound).
    mutating func uniform(through bound: UInt64) -> UInt64 {
        if bound == 0 { return 0 }
        if bound == .max { return next() }
        return next().multipliedFullWidth(by: bound + 1).high
    }

    /// A uniform double in `range`.
    mutating func uniform(in range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * nextUnitDouble()
    }
}
