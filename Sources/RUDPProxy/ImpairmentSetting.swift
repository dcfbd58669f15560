import RUDPSimulation

/// One named impairment, with the value syntax shared by the `rudp proxy` command line and
/// its control port: `VALUE` sets both directions, `up:VALUE` or `down:VALUE` one of them.
///
/// | name            | value                                                       |
/// |-----------------|-------------------------------------------------------------|
/// | `loss`          | probability, `0.1` or `10%`                                 |
/// | `burst`         | Gilbert-Elliott `P,R[,BAD_LOSS[,GOOD_LOSS]]`, or `off`      |
/// | `duplicate`     | probability                                                 |
/// | `reorder`       | probability                                                 |
/// | `reorder-delay` | time (bound of the extra hold-back is `2 × delay + this`)   |
/// | `corrupt`       | probability (1 to 3 bits flipped)                           |
/// | `delay`         | time                                                        |
/// | `jitter`        | time (uniform `0 ... jitter` extra; never reorders)         |
/// | `rate`          | `500kbit`, `10mbit`, `1gbit`, `125000` or `125KB` (bytes/s), or `off` |
/// | `queue`         | bytes in front of `rate`: `65536`, `64KiB`, `100KB`         |
/// | `mtu`           | largest UDP payload in bytes, or `off`                      |
///
/// A time is milliseconds (`20`, `0.5`) or has a unit (`500us`, `20ms`, `1s`).
///
/// ```swift
/// var impairments = ProxyImpairments.none
/// try ImpairmentSetting.loss.apply("0.1", to: &impairments)        // both directions
/// try ImpairmentSetting.delay.apply("down:30", to: &impairments)   // 30 ms, down only
/// try ImpairmentSetting.apply("rate=up:1mbit", to: &impairments)   // NAME=VALUE form
/// ```
public enum ImpairmentSetting: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Uniform loss probability.
    case loss
    /// Gilbert-Elliott bursty loss.
    case burst
    /// Duplication probability.
    case duplicate
    /// Reordering probability.
    case reorder
    /// Slack of the reordering hold-back.
    case reorderDelay = "reorder-delay"
    /// Corruption probability.
    case corrupt
    /// Fixed one-way delay.
    case delay
    /// Uniform extra delay bound.
    case jitter
    /// Bandwidth limit.
    case rate
    /// Bottleneck queue capacity.
    case queue
    /// Largest datagram carried.
    case mtu

    /// The setting's name, e.g. `reorder-delay`.
    public var description: String { rawValue }

    /// The value syntax, for help texts.
    public var valueSyntax: String {
        switch self {
        case .loss, .duplicate, .reorder, .corrupt: "probability: 0.1 or 10%"
        case .burst: "P,R[,BAD_LOSS[,GOOD_LOSS]] or off"
        case .reorderDelay, .delay, .jitter: "time: 20 (ms), 500us, 20ms, 1s"
        case .rate: "500kbit, 10mbit, 1gbit, 125000 or 125KB (bytes/s), or off"
        case .queue: "bytes: 65536, 64KiB, 100KB"
        case .mtu: "bytes or off"
        }
    }

    /// Applies a `NAME=VALUE` pair (value as in ``apply(_:to:)``).
    public static func apply(_ assignment: String, to impairments: inout ProxyImpairments) throws(ProxyError) {
        guard let equals = assignment.firstIndex(of: "=") else {
            throw .invalidImpairment("expected NAME=VALUE, got '\(assignment)'")
        }
        let name = String(assignment[..<equals])
        guard let setting = ImpairmentSetting(rawValue: name) else {
            let known = allCases.map(\.rawValue).joined(separator: ", ")
            throw .invalidImpairment("unknown setting '\(name)' (known: \(known))")
        }
        try setting.apply(String(assignment[assignment.index(after: equals)...]), to: &impairments)
    }

    /// Applies `[up:|down:]VALUE`: with no prefix to both directions, else to one.
    public func apply(_ text: String, to impairments: inout ProxyImpairments) throws(ProxyError) {
        let trimmed = text.trimmingSpaces
        let directions: [ProxyDirection]
        let value: String
        if trimmed.hasPrefix("up:") {
            directions = [.up]
            value = String(trimmed.dropFirst(3))
        } else if trimmed.hasPrefix("down:") {
            directions = [.down]
            value = String(trimmed.dropFirst(5))
        } else {
            directions = [.up, .down]
            value = trimmed
        }
        for direction in directions {
            var one = impairments[direction]
            try apply(value: value, to: &one)
            try one.validate()
            impairments[direction] = one
        }
    }

    /// Applies a bare value (no direction prefix) to one direction's impairments.
    public func apply(value: String, to impairments: inout Impairments) throws(ProxyError) {
        switch self {
        case .loss: impairments.link.loss = try parseProbability(value)
        case .duplicate: impairments.link.duplication = try parseProbability(value)
        case .reorder: impairments.link.reordering = try parseProbability(value)
        case .corrupt: impairments.link.corruption = try parseProbability(value)
        case .delay: impairments.link.delay = try parseTime(value)
        case .jitter: impairments.link.jitter = try parseTime(value)
        case .reorderDelay: impairments.link.reorderExtraDelay = try parseTime(value)
        case .burst: impairments.link.burstLoss = try parseBurst(value)
        case .rate: impairments.link.bandwidth = try parseRate(value)
        case .queue: impairments.link.queueCapacity = try parseBytes(value)
        case .mtu: impairments.mtu = isOff(value) ? nil : try parseBytes(value)
        }
    }

    // MARK: - Values

    private func invalid(_ value: String, _ expected: String) -> ProxyError {
        .invalidImpairment("\(rawValue): '\(value)' is not \(expected)")
    }

    private func isOff(_ value: String) -> Bool {
        ["off", "none", "no"].contains(value.lowercased())
    }

    private func parseNumber(_ text: String, _ expected: String) throws(ProxyError) -> Double {
        guard !text.isEmpty, let number = Double(text), number.isFinite, number >= 0 else {
            throw invalid(text, expected)
        }
        return number
    }

    private func parseProbability(_ value: String) throws(ProxyError) -> Double {
        let expected = "a probability (0.1 or 10%)"
        var probability: Double
        if value.hasSuffix("%") {
            probability = try parseNumber(String(value.dropLast()), expected) / 100
        } else {
            probability = try parseNumber(value, expected)
        }
        guard probability <= 1 else { throw invalid(value, expected) }
        if probability < 0 { probability = 0 }
        return probability
    }

    private func parseTime(_ value: String) throws(ProxyError) -> Duration {
        let expected = "a time (20, 0.5, 500us, 20ms, 1s)"
        let units: [(suffix: String, nanoseconds: Double)] = [("us", 1e3), ("ms", 1e6), ("s", 1e9)]
        var number = value
        var scale = 1e6
        for unit in units where value.lowercased().hasSuffix(unit.suffix) {
            number = String(value.dropLast(unit.suffix.count))
            scale = unit.nanoseconds
            break
        }
        let nanoseconds = try parseNumber(number, expected) * scale
        guard nanoseconds <= 3600e9 else { throw invalid(value, "a time of at most 1 hour") }
        return .nanoseconds(Int64(nanoseconds.rounded()))
    }

    private func parseBurst(_ value: String) throws(ProxyError) -> LinkOptions.GilbertElliott? {
        if isOff(value) { return nil }
        let expected = "P,R[,BAD_LOSS[,GOOD_LOSS]] with probabilities, or off"
        let fields = value.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingSpaces }
        guard (2...4).contains(fields.count) else { throw invalid(value, expected) }
        var numbers: [Double] = []
        for field in fields {
            let number = try parseNumber(field, expected)
            guard number <= 1 else { throw invalid(value, expected) }
            numbers.append(number)
        }
        return LinkOptions.GilbertElliott(
            goodToBad: numbers[0], badToGood: numbers[1],
            lossInBad: numbers.count > 2 ? numbers[2] : 1,
            lossInGood: numbers.count > 3 ? numbers[3] : 0)
    }

    private func parseRate(_ value: String) throws(ProxyError) -> Int? {
        if isOff(value) || value == "0" { return nil }
        let expected = "a rate (500kbit, 10mbit, 125000, 125KB, or off)"
        // Longest suffixes first; factors turn the number into bytes per second.
        let units: [(suffix: String, factor: Double)] = [
            ("gbit", 1e9 / 8), ("mbit", 1e6 / 8), ("kbit", 1e3 / 8), ("bit", 1.0 / 8),
            ("gib", 1_073_741_824), ("mib", 1_048_576), ("kib", 1024),
            ("gb", 1e9), ("mb", 1e6), ("kb", 1e3), ("b", 1),
        ]
        let lowered = value.lowercased()
        var number = lowered
        var factor = 1.0
        for unit in units where lowered.hasSuffix(unit.suffix) {
            number = String(lowered.dropLast(unit.suffix.count))
            factor = unit.factor
            break
        }
        let bytesPerSecond = (try parseNumber(number, expected) * factor).rounded()
        guard bytesPerSecond >= 1, bytesPerSecond <= 1e12 else { throw invalid(value, "a rate of 1 B/s to 1 TB/s") }
        return Int(bytesPerSecond)
    }

    private func parseBytes(_ value: String) throws(ProxyError) -> Int {
        let expected = "a size in bytes (65536, 64KiB, 100KB)"
        let units: [(suffix: String, factor: Double)] = [
            ("gib", 1_073_741_824), ("mib", 1_048_576), ("kib", 1024),
            ("gb", 1e9), ("mb", 1e6), ("kb", 1e3), ("b", 1),
        ]
        let lowered = value.lowercased()
        var number = lowered
        var factor = 1.0
        for unit in units where lowered.hasSuffix(unit.suffix) {
            number = String(lowered.dropLast(unit.suffix.count))
            factor = unit.factor
            break
        }
        let exact = try parseNumber(number, expected) * factor
        let bytes = exact.rounded()
        guard abs(exact - bytes) <= 1e-6 * max(1, bytes), exact == 0 || bytes >= 1 else { throw invalid(value, "a whole number of bytes") }
        guard bytes <= 1e12 else { throw invalid(value, "a size of at most 1 TB") }
        return Int(bytes)
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        var scalars = Substring(self)
        while let first = scalars.first, first == " " || first == "\t" || first == "\r" { scalars.removeFirst() }
        while let last = scalars.last, last == " " || last == "\t" || last == "\r" { scalars.removeLast() }
        return String(scalars)
    }
}
