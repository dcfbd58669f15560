import RUDPCore

/// Parses and prints the quantities `rudp simulate` accepts: durations (`250ms`, `60s`),
/// link rates (`10Mbit/s`, `1.5MB/s`), byte sizes (`1200`, `64KiB`), probabilities (`0.05`,
/// `5%`), counts and message rates. Pure Swift, so the same rules apply on the command line,
/// in sweeps and in scenario files.
///
/// Each parser throws ``ExperimentError/invalidValue(parameter:value:reason:)`` naming the
/// option, so a bad value never traps.
///
/// ```swift
/// let rate = try ExperimentQuantity.rate("10Mbit/s", for: "rate")   // 1_250_000 bytes per second
/// let delay = try ExperimentQuantity.duration("20ms", for: "delay")  // .milliseconds(20)
/// print(ExperimentQuantity.formatRate(rate!))                        // 10Mbit/s
/// ```
public enum ExperimentQuantity {
    /// Splits `text` into a leading decimal number and the unit that follows.
    private static func split(_ text: String) -> (number: Double, unit: Substring)? {
        let trimmed = text.trimmingSpaces
        var end = trimmed.startIndex
        while end < trimmed.endIndex, "0123456789.+-eE_".contains(trimmed[end]) {
            // An "e" starts a unit unless a digit or sign follows it (1e3 vs 5ms).
            if trimmed[end] == "e" || trimmed[end] == "E" {
                let next = trimmed.index(after: end)
                guard next < trimmed.endIndex, "0123456789+-".contains(trimmed[next]) else { break }
            }
            end = trimmed.index(after: end)
        }
        let numberText = trimmed[..<end].replacingUnderscores
        guard !numberText.isEmpty, let number = Double(numberText), number.isFinite else { return nil }
        return (number, trimmed[end...].drop(while: { $0 == " " }))
    }

    /// A duration: a number followed by `ns`, `us`, `ms`, `s`, `min` or `h` (`0` alone is allowed).
    public static func duration(_ text: String, for parameter: String) throws(ExperimentError) -> Duration {
        let reason = "expected a duration such as 250ms, 1.5s or 2min"
        guard let (number, unit) = split(text), number >= 0 else {
            throw .invalidValue(parameter: parameter, value: text, reason: reason)
        }
        let scale: Double
        switch unit {
        case "ns": scale = 1
        case "us", "µs": scale = 1e3
        case "ms": scale = 1e6
        case "s", "sec": scale = 1e9
        case "m", "min": scale = 60e9
        case "h": scale = 3600e9
        case "" where number == 0: scale = 1
        case "": throw .invalidValue(parameter: parameter, value: text, reason: "a duration needs a unit (ns, us, ms, s, min, h)")
        default: throw .invalidValue(parameter: parameter, value: text, reason: reason)
        }
        let nanoseconds = (number * scale).rounded()
        guard nanoseconds < 1e17 else {
            throw .invalidValue(parameter: parameter, value: text, reason: "a duration must be below about 3 years")
        }
        return .nanoseconds(Int64(nanoseconds))
    }

    /// A link rate in bytes per second, or nil for `unlimited` / `none`. Bit rates: `bit/s`,
    /// `bps`, `kbit/s`, `kbps`, `Mbit/s`, `Mbps`, `Gbit/s`, `Gbps`; byte rates: `B/s`, `kB/s`,
    /// `KB/s`, `MB/s`, `GB/s`, `KiB/s`, `MiB/s`, `GiB/s`.
    public static func rate(_ text: String, for parameter: String) throws(ExperimentError) -> Int? {
        let lowered = text.trimmingSpaces.lowercased()
        if lowered == "unlimited" || lowered == "none" || lowered == "inf" { return nil }
        let reason = "expected a rate such as 10Mbit/s, 500kbps or 2MB/s (or unlimited)"
        guard let (number, unit) = split(text), number > 0 else {
            throw .invalidValue(parameter: parameter, value: text, reason: reason)
        }
        let bytesPerSecond: Double
        switch unit {
        case "bit/s", "bps", "b/s": bytesPerSecond = number / 8
        case "kbit/s", "kbps", "Kbps", "Kbit/s", "kb/s": bytesPerSecond = number * 1e3 / 8
        case "Mbit/s", "mbit/s", "Mbps", "mbps", "Mb/s": bytesPerSecond = number * 1e6 / 8
        case "Gbit/s", "gbit/s", "Gbps", "gbps", "Gb/s": bytesPerSecond = number * 1e9 / 8
        case "B/s", "Bps": bytesPerSecond = number
        case "kB/s", "KB/s": bytesPerSecond = number * 1e3
        case "MB/s": bytesPerSecond = number * 1e6
        case "GB/s": bytesPerSecond = number * 1e9
        case "KiB/s": bytesPerSecond = number * 1024
        case "MiB/s": bytesPerSecond = number * 1024 * 1024
        case "GiB/s": bytesPerSecond = number * 1024 * 1024 * 1024
        case "": throw .invalidValue(parameter: parameter, value: text, reason: "a rate needs a unit, e.g. 10Mbit/s or 2MB/s")
        default: throw .invalidValue(parameter: parameter, value: text, reason: reason)
        }
        guard bytesPerSecond >= 1, bytesPerSecond <= 1e12 else {
            throw .invalidValue(parameter: parameter, value: text, reason: "a rate must be between 8bit/s and 8Tbit/s")
        }
        return Int(bytesPerSecond.rounded())
    }

    /// A size in bytes: a plain number, or with `B`, `kB`/`KB` (1000), `KiB` (1024), `MB`, `MiB`, `GB`, `GiB`.
    public static func bytes(_ text: String, for parameter: String, range: ClosedRange<Int>) throws(ExperimentError) -> Int {
        guard let (number, unit) = split(text), number >= 0 else {
            throw .invalidValue(parameter: parameter, value: text, reason: "expected a size such as 1200, 64KiB or 1MB")
        }
        let scale: Double
        switch unit {
        case "", "B", "b": scale = 1
        case "kB", "KB", "k", "K": scale = 1e3
        case "KiB", "Ki": scale = 1024
        case "MB", "M": scale = 1e6
        case "MiB", "Mi": scale = 1024 * 1024
        case "GB", "G": scale = 1e9
        case "GiB", "Gi": scale = 1024 * 1024 * 1024
        default: throw .invalidValue(parameter: parameter, value: text, reason: "unknown size unit \"\(unit)\" (use B, KB, KiB, MB, MiB)")
        }
        let exact = number * scale
        let value = exact.rounded()
        guard abs(exact - value) <= 1e-6 * max(1, value), exact == 0 || value >= 1 else {
            throw .invalidValue(parameter: parameter, value: text, reason: "a size must be a whole number of bytes")
        }
        guard value >= Double(range.lowerBound), value <= Double(range.upperBound) else {
            throw .invalidValue(parameter: parameter, value: text,
                                reason: "must be between \(formatBytes(range.lowerBound)) and \(formatBytes(range.upperBound))")
        }
        return Int(value)
    }

    /// A probability: `0.05` or `5%`, in `0 ... 1`.
    public static func probability(_ text: String, for parameter: String) throws(ExperimentError) -> Double {
        let reason = "a probability must be between 0 and 1 (or 0% to 100%)"
        guard let (number, unit) = split(text) else {
            throw .invalidValue(parameter: parameter, value: text, reason: reason)
        }
        let value: Double
        switch unit {
        case "": value = number
        case "%": value = number / 100
        default: throw .invalidValue(parameter: parameter, value: text, reason: reason)
        }
        guard (0...1).contains(value) else { throw .invalidValue(parameter: parameter, value: text, reason: reason) }
        return value
    }

    /// A whole number in `range` (underscores and a `k`/`M` suffix allowed: `10_000`, `10k`).
    public static func count(_ text: String, for parameter: String, range: ClosedRange<Int>) throws(ExperimentError) -> Int {
        guard let (number, unit) = split(text) else {
            throw .invalidValue(parameter: parameter, value: text, reason: "expected a whole number")
        }
        let scale: Double
        switch unit {
        case "": scale = 1
        case "k", "K": scale = 1e3
        case "M": scale = 1e6
        default: throw .invalidValue(parameter: parameter, value: text, reason: "expected a whole number (optionally with k or M)")
        }
        let value = number * scale
        guard value == value.rounded(), value >= Double(range.lowerBound), value <= Double(range.upperBound) else {
            throw .invalidValue(parameter: parameter, value: text,
                                reason: "expected a whole number between \(range.lowerBound) and \(range.upperBound)")
        }
        return Int(value)
    }

    /// A positive rate of events per second: `100`, `100/s`, `2k/s`.
    public static func perSecond(_ text: String, for parameter: String) throws(ExperimentError) -> Double {
        let reason = "expected a positive rate per second such as 100 or 2k/s"
        guard let (number, unit) = split(text), number > 0 else {
            throw .invalidValue(parameter: parameter, value: text, reason: reason)
        }
        let value: Double
        switch unit {
        case "", "/s": value = number
        case "k", "k/s", "K", "K/s": value = number * 1e3
        case "M", "M/s": value = number * 1e6
        default: throw .invalidValue(parameter: parameter, value: text, reason: reason)
        }
        guard value >= 0.001, value <= 1e7 else {
            throw .invalidValue(parameter: parameter, value: text, reason: "a rate must be between 0.001 and 10M messages per second")
        }
        return value
    }

    // MARK: - Printing

    /// A rate in bytes per second as bits per second with an SI prefix: `10Mbit/s`, `512kbit/s`.
    public static func formatRate(_ bytesPerSecond: Int) -> String {
        let bits = Double(bytesPerSecond) * 8
        if bits >= 1e9 { return "\(trimmed(bits / 1e9))Gbit/s" }
        if bits >= 1e6 { return "\(trimmed(bits / 1e6))Mbit/s" }
        if bits >= 1e3 { return "\(trimmed(bits / 1e3))kbit/s" }
        return "\(trimmed(bits))bit/s"
    }

    /// A duration as the shortest of `ns`, `us`, `ms`, `s` that keeps it readable: `250ms`, `1.5s`.
    public static func formatDuration(_ duration: Duration) -> String {
        let ns = Double(duration.nanosecondsClamped)
        if ns == 0 { return "0s" }
        if ns >= 1e9 { return "\(trimmed(ns / 1e9))s" }
        if ns >= 1e6 { return "\(trimmed(ns / 1e6))ms" }
        if ns >= 1e3 { return "\(trimmed(ns / 1e3))us" }
        return "\(trimmed(ns))ns"
    }

    /// A size in bytes with a binary prefix when exact (`64KiB`), else in bytes.
    public static func formatBytes(_ bytes: Int) -> String {
        if bytes >= 1 << 30, bytes % (1 << 30) == 0 { return "\(bytes >> 30)GiB" }
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20)MiB" }
        if bytes >= 1 << 10, bytes % (1 << 10) == 0 { return "\(bytes >> 10)KiB" }
        return "\(bytes)B"
    }

    /// `x` with up to `digits` decimals and no trailing zeros: `10`, `1.5`, `0.333`.
    public static func trimmed(_ x: Double, digits: Int = 3) -> String {
        var text = fixed(x, digits: digits)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text == "-0" ? "0" : text
    }

    /// `x` rounded to exactly `digits` decimals (no Foundation needed): `fixed(2.345, digits: 1)` is `2.3`.
    public static func fixed(_ x: Double, digits: Int) -> String {
        guard x.isFinite else { return x.isNaN ? "nan" : (x > 0 ? "inf" : "-inf") }
        var scale = 1.0
        for _ in 0..<max(0, digits) { scale *= 10 }
        let scaled = (abs(x) * scale).rounded()
        guard scaled < 9e18 else { return "\(x)" }
        let integer = UInt64(scaled)
        let whole = integer / UInt64(scale)
        let fraction = integer % UInt64(scale)
        let sign = x < 0 && integer != 0 ? "-" : ""
        guard digits > 0 else { return "\(sign)\(whole)" }
        var fractionText = String(fraction)
        while fractionText.count < digits { fractionText = "0" + fractionText }
        return "\(sign)\(whole).\(fractionText)"
    }
}

extension StringProtocol where SubSequence == Substring {
    /// The text without leading and trailing spaces and tabs.
    var trimmingSpaces: Substring {
        var text = self[...]
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return text
    }

    /// The text with `_` digit separators removed.
    var replacingUnderscores: String {
        String(filter { $0 != "_" })
    }
}
