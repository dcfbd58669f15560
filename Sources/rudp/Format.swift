/// Number formatting for human-readable output, without Foundation's locale machinery.
///
/// ```swift
/// Format.fixed(3.14159, digits: 2) // "3.14"
/// Format.megabytes(2_500_000)      // "2.5"
/// ```
enum Format {
    /// `value` with exactly `digits` digits after the decimal point.
    static func fixed(_ value: Double, digits: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf") }
        var scale: UInt64 = 1
        for _ in 0..<max(0, min(digits, 9)) { scale *= 10 }
        let scaled = (abs(value) * Double(scale)).rounded()
        guard scaled < 9e18 else { return String(value) }
        let total = UInt64(scaled)
        let sign = value < 0 && total != 0 ? "-" : ""
        guard scale > 1 else { return sign + String(total) }
        let fractionText = String(total % scale)
        let padding = String(repeating: "0", count: String(scale).count - 1 - fractionText.count)
        return sign + String(total / scale) + "." + padding + fractionText
    }

    /// A count and a noun, plural unless the count is 1: "1 connection attempt", "2 connection attempts".
    static func count(_ value: Int, _ noun: String) -> String {
        "\(value) \(noun)\(value == 1 ? "" : "s")"
    }

    /// Bytes as decimal megabytes with one digit, for example "2.5".
    static func megabytes(_ bytes: UInt64) -> String {
        fixed(Double(bytes) / 1e6, digits: 1)
    }

    /// Nanoseconds as milliseconds with three digits, for example "1.234".
    static func milliseconds(nanoseconds: UInt64) -> String {
        fixed(Double(nanoseconds) / 1e6, digits: 3)
    }
}
