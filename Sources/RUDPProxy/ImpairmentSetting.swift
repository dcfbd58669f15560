import RUDPImpairment

/// One named impairment, with the value syntax shared by the `rudp proxy` command line, its
/// control port and `rudp simulate` (tc-netem's names and units, read by `Quantity`):
/// `VALUE` sets both directions, `up:VALUE` or `down:VALUE` one of them.
///
/// | name            | value                                                       |
/// |-----------------|-------------------------------------------------------------|
/// | `loss`          | probability, `1%` or `0.01`                                 |
/// | `burst`         | Gilbert-Elliott `P,R[,1-H[,1-K]]` (netem's `gemodel`), or `off` |
/// | `duplicate`     | probability                                                 |
/// | `reorder`       | probability                                                 |
/// | `reorder-delay` | time (bound of the extra hold-back is `2 × delay + this`)   |
/// | `corrupt`       | probability (1 to 3 bits flipped)                           |
/// | `delay`         | time: `20ms`, `500us`, `1s`                                 |
/// | `jitter`        | time (uniform `0 ... jitter` extra; never reorders)         |
/// | `rate`          | `100kbit`, `10mbit`, `1gbit` (bits/s), `2MB/s` (bytes/s), or `off` |
/// | `queue`         | bytes in front of `rate`: `65536`, `64KiB`, `100KB`         |
/// | `mtu`           | largest UDP payload in bytes, or `off`                      |
///
/// A time or a rate needs its unit: `delay=20` is refused (suggesting `20ms`), as tc reads a
/// bare time as microseconds. Only `0` may go without.
///
/// ```swift
/// var impairments = ProxyImpairments.none
/// try ImpairmentSetting.loss.apply("10%", to: &impairments)          // both directions
/// try ImpairmentSetting.delay.apply("down:30ms", to: &impairments)   // down only
/// try ImpairmentSetting.apply("rate=up:1mbit", to: &impairments)     // NAME=VALUE form
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
        case .loss, .duplicate, .reorder, .corrupt: "probability: 10% or 0.1"
        case .burst: "gemodel P,R[,1-H[,1-K]] (e.g. 1%,30%) or off"
        case .reorderDelay, .delay, .jitter: "time with a unit: 500us, 20ms, 1s"
        case .rate: "100kbit, 10mbit, 1gbit, 2MB/s, or off"
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
        let trimmed = String(text.trimmingSpaces)
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
        do {
            try set(value, in: &impairments)
        } catch {
            throw .invalidImpairment(error)
        }
    }

    /// Parses `value` with the shared vocabulary and sets it.
    private func set(_ value: String, in impairments: inout Impairments) throws(ImpairmentError) {
        let name = rawValue
        switch self {
        case .loss: impairments.link.loss = try ImpairmentProbability(parsing: value, for: name).value
        case .duplicate: impairments.link.duplication = try ImpairmentProbability(parsing: value, for: name).value
        case .reorder: impairments.link.reordering = try ImpairmentProbability(parsing: value, for: name).value
        case .corrupt: impairments.link.corruption = try ImpairmentProbability(parsing: value, for: name).value
        case .delay: impairments.link.delay = try ImpairmentTime(parsing: value, for: name).duration
        case .jitter: impairments.link.jitter = try ImpairmentTime(parsing: value, for: name).duration
        case .reorderDelay: impairments.link.reorderExtraDelay = try ImpairmentTime(parsing: value, for: name).duration
        case .burst: impairments.link.burstLoss = try ImpairmentBurst(parsing: value, for: name).model
        case .rate: impairments.link.bandwidth = try ImpairmentRate(parsing: value, for: name).bytesPerSecond
        case .queue:
            guard let bytes = try ImpairmentSize(parsing: value, for: name).bytes else {
                throw .invalidValue(
                    parameter: name, value: value, reason: "the queue needs a size in bytes (0 drops whatever the rate cannot send at once)"
                )
            }
            impairments.link.queueCapacity = bytes
        case .mtu: impairments.mtu = try ImpairmentSize(parsing: value, for: name).bytes
        }
    }
}
