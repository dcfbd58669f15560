import RUDPCore

/// The one parser (and printer) of the quantities that `rudp proxy`, `rudp simulate`, sweeps,
/// scenario files and the proxy's control port accept, in tc-netem's vocabulary:
///
/// | quantity    | written as                                                            |
/// |-------------|-----------------------------------------------------------------------|
/// | time        | `20ms`, `500us`, `1.5s` (also `ns`, `usec`, `msec`, `sec`, `min`, `h`) |
/// | rate        | `100kbit`, `10mbit`, `1gbit` (bits/s); `2MB/s`, `64KiB/s` (bytes/s); `off` |
/// | probability | `1%` or a fraction `0.01`                                             |
/// | burst loss  | Gilbert-Elliott `P,R[,1-H[,1-K]]` (netem's `gemodel p r 1-h 1-k`), `off` |
/// | size        | bytes: `1200`, `64KiB`, `1MB`                                          |
///
/// **A time or a rate needs a unit**: `--delay 20` is refused with a message suggesting `20ms`
/// (tc reads a bare time as microseconds and a bare rate as bits per second; the proxy once read
/// them as milliseconds and bytes per second). Only `0` is accepted bare. tc's byte-rate units
/// (`kbps`, `mbps`) are refused as ambiguous (they are commonly read as bits): write `10mbit`
/// or `1.25MB/s`. The older spellings `10Mbit/s` and `500kbit/s` are accepted.
///
/// Every parser throws ``ImpairmentError`` naming the option, so a bad value never traps.
///
/// ```swift
/// let rate = try Quantity.rate("10mbit", for: "rate")        // 1_250_000 bytes per second
/// let delay = try Quantity.duration("20ms", for: "delay")    // .milliseconds(20)
/// print(Quantity.formatRate(rate!))                          // 10mbit
/// ```
public enum Quantity {
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

    /// A time: a number followed by a unit, `ns`, `us` (`usec`, `µs`), `ms` (`msec`), `s`
    /// (`sec`, `secs`), `min` or `h`; `0` alone is allowed, any other bare number is refused.
    public static func duration(_ text: String, for parameter: String) throws(ImpairmentError) -> Duration {
        let reason = "expected a time such as 20ms, 500us or 1.5s"
        guard let (number, unit) = split(text), number >= 0 else {
            throw .invalidValue(parameter: parameter, value: text, reason: reason)
        }
        let scale: Double
        switch unit.lowercased() {
        case "ns", "nsec", "nsecs": scale = 1
        case "us", "µs", "usec", "usecs": scale = 1e3
        case "ms", "msec", "msecs": scale = 1e6
        case "s", "sec", "secs": scale = 1e9
        case "min", "mins": scale = 60e9
        case "h": scale = 3600e9
        case "" where number == 0: scale = 1
        case "":
            let shown = trimmed(number, digits: 6)
            throw .invalidValue(
                parameter: parameter, value: text,
                reason: "a time needs a unit: \(shown)ms, \(shown)us or \(shown)s")
        default: throw .invalidValue(parameter: parameter, value: text, reason: reason)
        }
        let nanoseconds = (number * scale).rounded()
        guard nanoseconds < 1e17 else {
            throw .invalidValue(parameter: parameter, value: text, reason: "a time must be below about 3 years")
        }
        return .nanoseconds(Int64(nanoseconds))
    }

    /// A link rate in bytes per second, or nil for `off`, `unlimited`, `none`, `inf` or `0`.
    /// Bit rates as tc writes them (`bit`, `kbit`, `mbit`, `gbit`, `tbit`, the binary `kibit`,
    /// `mibit`, `gibit`, any case, optionally followed by `/s`); byte rates with `/s`: `B/s`,
    /// `kB/s`, `KB/s`, `MB/s`, `GB/s`, `KiB/s`, `MiB/s`, `GiB/s`.
    public static func rate(_ text: String, for parameter: String) throws(ImpairmentError) -> Int? {
        let lowered = text.trimmingSpaces.lowercased()
        if ["off", "unlimited", "none", "inf", "0"].contains(lowered) { return nil }
        let reason = "expected a rate such as 100kbit, 10mbit, 1gbit or 2MB/s (or off)"
        guard let (number, unit) = split(text), number > 0 else {
            throw .invalidValue(parameter: parameter, value: text, reason: reason)
        }
        let bytesPerSecond: Double
        var bitUnit = unit.lowercased()
        if bitUnit.hasSuffix("bit/s") { bitUnit.removeLast(2) }
        switch bitUnit {
        case "bit": bytesPerSecond = number / 8
        case "kbit": bytesPerSecond = number * 1e3 / 8
        case "mbit": bytesPerSecond = number * 1e6 / 8
        case "gbit": bytesPerSecond = number * 1e9 / 8
        case "tbit": bytesPerSecond = number * 1e12 / 8
        case "kibit": bytesPerSecond = number * 1024 / 8
        case "mibit": bytesPerSecond = number * 1024 * 1024 / 8
        case "gibit": bytesPerSecond = number * 1024 * 1024 * 1024 / 8
        default:
            switch unit {
            case "B/s": bytesPerSecond = number
            case "kB/s", "KB/s": bytesPerSecond = number * 1e3
            case "MB/s": bytesPerSecond = number * 1e6
            case "GB/s": bytesPerSecond = number * 1e9
            case "KiB/s": bytesPerSecond = number * 1024
            case "MiB/s": bytesPerSecond = number * 1024 * 1024
            case "GiB/s": bytesPerSecond = number * 1024 * 1024 * 1024
            case "":
                let shown = trimmed(number, digits: 6)
                throw .invalidValue(
                    parameter: parameter, value: text,
                    reason: "a rate needs a unit: \(shown)kbit, \(shown)mbit or \(shown)MB/s")
            default:
                if ["bps", "kbps", "mbps", "gbps", "tbps"].contains(unit.lowercased()) {
                    throw .invalidValue(
                        parameter: parameter, value: text,
                        reason: "\(unit) is ambiguous (tc reads it as bytes per second, many tools as bits): "
                            + "write bits as kbit, mbit, gbit or bytes as kB/s, MB/s")
                }
                throw .invalidValue(parameter: parameter, value: text, reason: reason)
            }
        }
        guard bytesPerSecond >= 1, bytesPerSecond <= 1e12 else {
            throw .invalidValue(parameter: parameter, value: text, reason: "a rate must be between 8bit and 8tbit")
        }
        return Int(bytesPerSecond.rounded())
    }

    /// A size in bytes: a plain number, or with `B`, `kB`/`KB` (1000), `KiB` (1024), `MB`, `MiB`, `GB`, `GiB`.
    public static func bytes(_ text: String, for parameter: String, range: ClosedRange<Int>) throws(ImpairmentError) -> Int {
        guard let (number, unit) = split(text), number >= 0 else {
            throw .invalidValue(parameter: parameter, value: text, reason: "expected a size such as 1200, 64KiB or 1MB")
        }
        let scale: Double
        switch unit {
        case "", "B", "b": scale = 1
        case "kB", "KB", "kb", "k", "K": scale = 1e3
        case "KiB", "Ki", "kib": scale = 1024
        case "MB", "mb", "M": scale = 1e6
        case "MiB", "Mi", "mib": scale = 1024 * 1024
        case "GB", "gb", "G": scale = 1e9
        case "GiB", "Gi", "gib": scale = 1024 * 1024 * 1024
        default: throw .invalidValue(parameter: parameter, value: text, reason: "unknown size unit \"\(unit)\" (use B, KB, KiB, MB, MiB)")
        }
        let exact = number * scale
        let value = exact.rounded()
        guard abs(exact - value) <= 1e-6 * max(1, value), exact == 0 || value >= 1 else {
            throw .invalidValue(parameter: parameter, value: text, reason: "a size must be a whole number of bytes")
        }
        guard value >= Double(range.lowerBound), value <= Double(range.upperBound) else {
            throw .invalidValue(
                parameter: parameter, value: text,
                reason: "must be between \(formatBytes(range.lowerBound)) and \(formatBytes(range.upperBound))")
        }
        return Int(value)
    }

    /// A probability: `1%` or a fraction `0.01`, in `0 ... 1`.
    public static func probability(_ text: String, for parameter: String) throws(ImpairmentError) -> Double {
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

    /// Gilbert-Elliott bursty loss with tc-netem's `gemodel p r 1-h 1-k` meaning, or nil for
    /// `off` / `none`: `P,R[,1-H[,1-K]]` (commas or spaces, optionally after `gemodel`), each a
    /// probability (`1%` or `0.01`). `P` moves the chain from good to bad, `R` from bad to good,
    /// `1-H` is the loss probability in the bad state (default 100%), `1-K` in the good state
    /// (default 0%). The older `LOSS:LENGTH` (mean loss rate, mean burst length in datagrams,
    /// e.g. `5%:4`) is also accepted.
    public static func burst(_ text: String, for parameter: String) throws(ImpairmentError) -> LinkOptions.GilbertElliott? {
        let value = String(text.trimmingSpaces)
        if ["off", "none", "no"].contains(value.lowercased()) { return nil }
        if value.contains(":") { return try lossAndLength(value, for: parameter) }
        var fields = value.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init)
        if fields.first?.lowercased() == "gemodel" { fields.removeFirst() }
        guard (2...4).contains(fields.count) else {
            throw .invalidValue(
                parameter: parameter, value: text,
                reason: "expected P,R[,1-H[,1-K]] as in tc-netem's gemodel, e.g. 1%,30% "
                    + "(good to bad 1%, bad to good 30%, every datagram in the bad state lost), or off")
        }
        var numbers: [Double] = []
        for field in fields {
            numbers.append(try probability(field, for: parameter))
        }
        return LinkOptions.GilbertElliott(
            goodToBad: numbers[0], badToGood: numbers[1],
            lossInBad: numbers.count > 2 ? numbers[2] : 1,
            lossInGood: numbers.count > 3 ? numbers[3] : 0)
    }

    /// `LOSS:LENGTH` → a Gilbert-Elliott model with that stationary loss and mean burst length.
    private static func lossAndLength(_ value: String, for parameter: String) throws(ImpairmentError) -> LinkOptions.GilbertElliott? {
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw .invalidValue(
                parameter: parameter, value: value, reason: "expected LOSS:LENGTH, e.g. 5%:4 (5% loss in bursts of 4 datagrams on average)")
        }
        let loss = try probability(String(parts[0]), for: parameter)
        guard let length = Double(parts[1].trimmingSpaces), length >= 1, length <= 1e6 else {
            throw .invalidValue(
                parameter: parameter, value: value, reason: "the mean burst length must be a number of datagrams, at least 1")
        }
        guard loss < 1 else {
            throw .invalidValue(parameter: parameter, value: value, reason: "the mean loss rate of bursts must be below 1")
        }
        if loss == 0 { return nil }
        // Stationary bad fraction g / (g + b) = loss with b = 1 / length.
        let badToGood = 1 / length
        let goodToBad = loss * badToGood / (1 - loss)
        guard goodToBad <= 1 else {
            throw .invalidValue(
                parameter: parameter, value: value, reason: "bursts that long cannot be that rare: raise the length or lower the loss")
        }
        return LinkOptions.GilbertElliott(goodToBad: goodToBad, badToGood: badToGood)
    }

    /// A whole number in `range` (underscores and a `k`/`M` suffix allowed: `10_000`, `10k`).
    public static func count(_ text: String, for parameter: String, range: ClosedRange<Int>) throws(ImpairmentError) -> Int {
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
            throw .invalidValue(
                parameter: parameter, value: text,
                reason: "expected a whole number between \(range.lowerBound) and \(range.upperBound)")
        }
        return Int(value)
    }

    /// A positive rate of events per second: `100`, `100/s`, `2k/s`.
    public static func perSecond(_ text: String, for parameter: String) throws(ImpairmentError) -> Double {
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

    /// A rate in bytes per second as tc writes it, in bits per second with an SI prefix:
    /// `10mbit`, `512kbit`, `1.5gbit` (rounded to 3 decimals; see ``exactRate(_:)``).
    public static func formatRate(_ bytesPerSecond: Int) -> String {
        let bits = Double(bytesPerSecond) * 8
        if bits >= 1e9 { return "\(trimmed(bits / 1e9))gbit" }
        if bits >= 1e6 { return "\(trimmed(bits / 1e6))mbit" }
        if bits >= 1e3 { return "\(trimmed(bits / 1e3))kbit" }
        return "\(trimmed(bits))bit"
    }

    /// A rate that ``rate(_:for:)`` reads back as exactly `bytesPerSecond`: ``formatRate(_:)``
    /// when it is exact, else in `bit`.
    public static func exactRate(_ bytesPerSecond: Int) -> String {
        let readable = formatRate(bytesPerSecond)
        return (try? rate(readable, for: "rate")) == bytesPerSecond ? readable : "\(bytesPerSecond * 8)bit"
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

    /// A duration that ``duration(_:for:)`` reads back exactly: the largest of `s`, `ms`, `us`,
    /// `ns` that divides it (`20ms`, `1500us`, `0`).
    public static func exactDuration(_ duration: Duration) -> String {
        let ns = duration.nanosecondsClamped
        if ns == 0 { return "0" }
        if ns % 1_000_000_000 == 0 { return "\(ns / 1_000_000_000)s" }
        if ns % 1_000_000 == 0 { return "\(ns / 1_000_000)ms" }
        if ns % 1_000 == 0 { return "\(ns / 1_000)us" }
        return "\(ns)ns"
    }

    /// A burst-loss model in the form ``burst(_:for:)`` reads: `P,R[,1-H[,1-K]]` as percentages,
    /// omitting trailing defaults (`1%,30%`), or `off`.
    public static func formatBurst(_ model: LinkOptions.GilbertElliott?) -> String {
        guard let model else { return "off" }
        func percent(_ p: Double) -> String { "\(trimmed(p * 100, digits: 12))%" }
        var fields = [percent(model.goodToBad), percent(model.badToGood)]
        if model.lossInBad != 1 || model.lossInGood != 0 { fields.append(percent(model.lossInBad)) }
        if model.lossInGood != 0 { fields.append(percent(model.lossInGood)) }
        return fields.joined(separator: ",")
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
    /// The text without leading and trailing spaces, tabs and carriage returns.
    package var trimmingSpaces: Substring {
        var text = self[...]
        while let first = text.first, first == " " || first == "\t" || first == "\r" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" || last == "\r" { text.removeLast() }
        return text
    }

    /// The text with `_` digit separators removed.
    package var replacingUnderscores: String {
        String(filter { $0 != "_" })
    }
}
