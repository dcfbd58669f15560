import ArgumentParser

/// Range checks for numeric options, called from each command's `validate()`: a value out of
/// range (including `nan`, `inf`, `1e300` and `1e-300` where they make no sense) is an
/// `Error: ...` line with the usage and exit status 64, before anything runs, and every value
/// that passes converts to nanoseconds or integers without overflow.
///
/// ```swift
/// func validate() throws {
///     try OptionCheck.seconds(timeout, "--timeout")
///     try OptionCheck.number(maxRate, "--max-rate", in: 0.001...1_000_000, orZero: true, unit: "MB/s")
/// }
/// ```
enum OptionCheck {
    /// The range of every option given in seconds: 1 ms to about 11.5 days (ample, and far from
    /// `Int64` nanoseconds' limit of 292 years).
    static let secondsRange: ClosedRange<Double> = 0.001...1_000_000

    /// Checks that `value` lies in `range` (or is exactly 0 when `orZero`); the message names the
    /// option, the accepted range with its unit, and the value given.
    static func number(_ value: Double, _ option: String, in range: ClosedRange<Double>, orZero: Bool = false, unit: String) throws {
        if orZero && value == 0 { return }
        guard value.isFinite, range.contains(value) else {
            let zero = orZero ? "0 or " : ""
            throw ValidationError(
                "\(option) must be \(zero)a number of \(unit) from \(text(range.lowerBound)) to \(text(range.upperBound)), got \(text(value))"
            )
        }
    }

    /// Checks a time in seconds: within ``secondsRange`` (or 0 when `orZero`).
    static func seconds(_ value: Double, _ option: String, orZero: Bool = false) throws {
        try number(value, option, in: secondsRange, orZero: orZero, unit: "seconds")
    }

    /// Checks a whole number against `range`.
    static func count<Value: BinaryInteger>(_ value: Value, _ option: String, in range: ClosedRange<Value>, unit: String = "") throws {
        guard range.contains(value) else {
            let suffix = unit.isEmpty ? "" : " \(unit)"
            throw ValidationError("\(option) must be \(range.lowerBound) to \(range.upperBound)\(suffix), got \(value)")
        }
    }

    /// A number as typed (integers without ".0"; `nan`, `inf`).
    static func text(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value > 0 ? "inf" : "-inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    /// Seconds (already checked by ``seconds(_:_:orZero:)``) as a `Duration`.
    static func duration(seconds: Double) -> Duration {
        .nanoseconds(Int64((min(max(seconds, 0), secondsRange.upperBound) * 1e9).rounded()))
    }
}
