import RUDPCore
import RUDPImpairment
import RUDPSimulation

/// Every option of an experiment that can be set by name: on the command line (`--loss 0.05`),
/// in a sweep (`--sweep loss=0,0.05,0.1`), in a scenario file's `settings`, and (for link
/// options) in a scenario's timeline. One table, so the names, units and checks are the same
/// everywhere.
///
/// ```swift
/// var setup = ExperimentSetup()
/// try ExperimentParameter.named("loss").apply("5%", to: &setup)
/// try ExperimentParameter.rate.apply("10mbit", to: &setup)
/// print(ExperimentParameter.rate.value(in: setup))   // 10mbit
/// ```
public enum ExperimentParameter: String, Sendable, CaseIterable, CustomStringConvertible {
    // Link (the data direction; the return path follows ``ExperimentSetup/reversePath``).
    /// Probability of losing a datagram, e.g. `0.05` or `5%`.
    case loss
    /// Bursty (Gilbert-Elliott) loss, in tc-netem's terms.
    case burst
    /// One-way delay, e.g. `20ms`.
    case delay
    /// Delay variation added to ``delay``.
    case jitter
    /// Bottleneck rate, e.g. `10mbit`.
    case rate
    /// Bottleneck queue capacity.
    case queue
    /// Probability of delivering a datagram twice.
    case duplicate
    /// Probability of delivering a datagram out of order.
    case reorder
    /// Slack of the reordering hold-back, which is at most `2 × delay` plus this
    /// (`LinkOptions.reorderExtraDelay` in RUDPImpairment, default 5 ms).
    case reorderDelay = "reorder-delay"
    /// Probability of corrupting a datagram.
    case corrupt
    /// What the return path (acknowledgements) suffers: see ``ExperimentSetup/ReversePath``.
    case reverse
    // Workload.
    /// Messages to send.
    case messages
    /// Size of each message.
    case size
    /// How long the workload runs.
    case duration
    /// Messages per second (paced workloads).
    case messageRate = "message-rate"
    /// Delivery mode of the messages.
    case mode
    // Engine.
    /// The engine's smallest retransmission timeout.
    case minimumRTO = "min-rto"
    /// The engine's largest retransmission timeout.
    case maximumRTO = "max-rto"
    /// The retransmission timeout before the first RTT sample.
    case initialRTO = "initial-rto"
    /// The congestion controller.
    case congestion
    /// Whether sends are paced.
    case pacing
    /// The receive window in bytes.
    case receiveWindow = "receive-window"
    /// The most messages in flight.
    case messageWindow = "message-window"
    /// The send buffer in messages.
    case sendBuffer = "send-buffer"
    /// The largest datagram the engine sends.
    case datagramSize = "datagram-size"
    /// How long unacknowledged data may wait before the peer counts as gone.
    case peerTimeout = "peer-timeout"
    // Run.
    /// The seed of the run's random choices.
    case seed

    /// The option's name, as on the command line without the dashes.
    public var name: String { rawValue }

    /// The option's name.
    public var description: String { rawValue }

    /// The option called `name` (dashes and case ignored: `--min-rto`, `minRTO`, `min_rto`).
    public static func named(_ name: String) throws(ExperimentError) -> ExperimentParameter {
        func normalize(_ s: some StringProtocol) -> String {
            String(s.lowercased().filter { $0 != "-" && $0 != "_" })
        }
        let wanted = normalize(name.trimmingSpaces)
        if let found = allCases.first(where: { normalize($0.rawValue) == wanted }) { return found }
        let aliases: [String: ExperimentParameter] = [
            "bandwidth": .rate, "duplication": .duplicate, "reordering": .reorder, "corruption": .corrupt,
            "count": .messages, "messagesize": .size, "cc": .congestion, "congestioncontrol": .congestion,
            // No "mtu": `rudp proxy --mtu` drops larger datagrams on the link, while
            // datagram-size is the engine's own limit; one word keeps one meaning.
            "window": .receiveWindow, "queuecapacity": .queue,
            "reorderextradelay": .reorderDelay,
        ]
        if let found = aliases[wanted] { return found }
        throw .unknownParameter(name: name, known: allCases.map(\.rawValue))
    }

    /// Whether the option describes the link, so a scenario's timeline may change it.
    public var isLinkOption: Bool {
        switch self {
        case .loss, .burst, .delay, .jitter, .rate, .queue, .duplicate, .reorder, .reorderDelay, .corrupt: return true
        default: return false
        }
    }

    /// What values look like, for help texts.
    public var valueHelp: String {
        switch self {
        case .loss: return "probability of losing a datagram, e.g. 0.05 or 5%"
        case .burst:
            return
                "Gilbert-Elliott bursty loss as tc-netem's gemodel P,R[,1-H[,1-K]]: good-to-bad and bad-to-good transition probabilities, loss in the bad (default 100%) and good (default 0%) states, e.g. 1%,30% (in a sweep, separate the fields with spaces: burst=1% 30%,2% 30%); or off"
        case .delay: return "one-way propagation delay with a unit, e.g. 20ms, 500us, 1s"
        case .jitter: return "extra uniform delay 0...jitter per datagram, with a unit, e.g. 5ms"
        case .rate: return "bottleneck rate, e.g. 100kbit, 10mbit, 1gbit, 2MB/s, or off"
        case .queue: return "bottleneck queue capacity in bytes, e.g. 64KiB"
        case .duplicate: return "probability of delivering a datagram twice"
        case .reorder: return "probability of holding a datagram back so later ones overtake it"
        case .reorderDelay: return "slack of the reordering hold-back, which is at most 2 x delay + this"
        case .corrupt: return "probability of flipping 1 to 3 bits of a datagram"
        case .reverse: return "the return path: same (same impairments) or clean (same delay and rate, no impairment)"
        case .messages: return "number of messages to send"
        case .size: return "bytes per message (at least 8), e.g. 1000 or 64KiB"
        case .duration: return "how long to send, e.g. 60s"
        case .messageRate: return "messages offered per second, or unlimited for a bulk transfer"
        case .mode: return "delivery mode: " + Self.modeNames.map(\.0).joined(separator: ", ")
        case .minimumRTO: return "lower bound of the retransmission timeout, e.g. 20ms"
        case .maximumRTO: return "upper bound of the retransmission timeout, e.g. 2s"
        case .initialRTO: return "retransmission timeout before the first RTT sample, e.g. 250ms"
        case .congestion:
            return "congestion controller: " + ExperimentEngineSettings.Congestion.allCases.map(\.rawValue).joined(separator: ", ")
        case .pacing: return "on (pace packets at 5/4 of window per RTT, PROTOCOL.md 15.2) or off (send what the window allows at once)"
        case .receiveWindow: return "receiver flow-control window in bytes, e.g. 4MiB"
        case .messageWindow: return "messages a channel may run ahead of its oldest unacknowledged one (1...65535)"
        case .sendBuffer: return "sender's send buffer in bytes, or auto (twice the path's capacity plus its queue)"
        case .datagramSize: return "largest datagram either side sends, in bytes"
        case .peerTimeout: return "declare the peer gone after outstanding data saw no acknowledgement for this long"
        case .seed: return "the seed every random draw derives from"
        }
    }

    private static let modeNames: [(String, DeliveryMode)] = [
        ("reliable-ordered", .reliableOrdered), ("reliable-unordered", .reliableUnordered), ("unreliable", .unreliable),
    ]

    /// Sets this option of `setup` from `text`; throws, leaving `setup` unchanged, if the
    /// value is not valid for the option.
    public func apply(_ text: String, to setup: inout ExperimentSetup) throws(ExperimentError) {
        do {
            try applyValue(String(text.trimmingSpaces), to: &setup)
        } catch {
            throw ExperimentError(error)
        }
    }

    /// ``apply(_:to:)`` with the shared vocabulary's error.
    private func applyValue(_ value: String, to setup: inout ExperimentSetup) throws(ImpairmentError) {
        func invalid(_ reason: String) -> ImpairmentError { .invalidValue(parameter: name, value: value, reason: reason) }
        switch self {
        case .loss: setup.link.loss = try Quantity.probability(value, for: name)
        case .burst: setup.link.burstLoss = try Quantity.burst(value, for: name)
        case .delay: setup.link.delay = try Quantity.duration(value, for: name)
        case .jitter: setup.link.jitter = try Quantity.duration(value, for: name)
        case .rate: setup.link.bandwidth = try Quantity.rate(value, for: name)
        case .queue: setup.link.queueCapacity = try Quantity.bytes(value, for: name, range: 0...(1 << 30))
        case .duplicate: setup.link.duplication = try Quantity.probability(value, for: name)
        case .reorder: setup.link.reordering = try Quantity.probability(value, for: name)
        case .reorderDelay: setup.link.reorderExtraDelay = try Quantity.duration(value, for: name)
        case .corrupt: setup.link.corruption = try Quantity.probability(value, for: name)
        case .reverse:
            guard let path = ExperimentSetup.ReversePath(rawValue: value.lowercased()) else {
                throw invalid("expected " + ExperimentSetup.ReversePath.allCases.map(\.rawValue).joined(separator: " or "))
            }
            setup.reversePath = path
        case .messages:
            if ["unlimited", "none"].contains(value.lowercased()) {
                setup.workload.messageCount = nil
            } else {
                setup.workload.messageCount = try Quantity.count(value, for: name, range: 1...100_000_000)
            }
        case .size:
            setup.workload.messageSize = try Quantity.bytes(value, for: name, range: ExperimentWorkload.minimumMessageSize...(64 << 20))
        case .duration:
            if ["unlimited", "none"].contains(value.lowercased()) {
                setup.workload.duration = nil
            } else {
                setup.workload.duration = try Quantity.duration(value, for: name)
            }
        case .messageRate:
            if ["unlimited", "none", "bulk"].contains(value.lowercased()) {
                setup.workload.messageRate = nil
            } else {
                setup.workload.messageRate = try Quantity.perSecond(value, for: name)
            }
        case .mode:
            guard let mode = Self.modeNames.first(where: { $0.0 == value.lowercased() })?.1 else {
                throw invalid("expected one of " + Self.modeNames.map(\.0).joined(separator: ", "))
            }
            setup.workload.mode = mode
        case .minimumRTO: setup.engine.minimumRTO = try Quantity.duration(value, for: name)
        case .maximumRTO: setup.engine.maximumRTO = try Quantity.duration(value, for: name)
        case .initialRTO: setup.engine.initialRTO = try Quantity.duration(value, for: name)
        case .congestion:
            guard let congestion = ExperimentEngineSettings.Congestion(rawValue: value.lowercased()) else {
                throw invalid(
                    "the engine has these congestion controllers: "
                        + ExperimentEngineSettings.Congestion.allCases.map(\.rawValue).joined(separator: ", "))
            }
            setup.engine.congestion = congestion
        case .pacing:
            switch value.lowercased() {
            case "on", "true", "yes": setup.engine.pacing = true
            case "off", "false", "no": setup.engine.pacing = false
            default: throw invalid("expected on or off")
            }
        case .receiveWindow: setup.engine.receiveWindow = try Quantity.bytes(value, for: name, range: 1024...(1 << 30))
        case .messageWindow: setup.engine.messageWindow = try Quantity.count(value, for: name, range: 1...65_535)
        case .sendBuffer:
            if value.lowercased() == "auto" {
                setup.engine.sendBufferBytes = nil
            } else {
                setup.engine.sendBufferBytes = try Quantity.bytes(value, for: name, range: 1024...(1 << 30))
            }
        case .datagramSize:
            setup.engine.maxDatagramSize = try Quantity.bytes(
                value, for: name, range: Int(TransportParameters.minimumDatagramSize)...Packet.maximumDatagramSize)
        case .peerTimeout: setup.engine.peerTimeout = try Quantity.duration(value, for: name)
        case .seed:
            guard let seed = UInt64(value.replacingUnderscores) ?? (value.hasPrefix("0x") ? UInt64(value.dropFirst(2), radix: 16) : nil)
            else {
                throw invalid("expected a whole number between 0 and \(UInt64.max) (or 0x followed by hex digits)")
            }
            setup.seed = seed
        }
    }

    /// The option's current value in `setup`, printed so that ``apply(_:to:)`` reads it back.
    public func value(in setup: ExperimentSetup) -> String {
        let q = Quantity.self
        switch self {
        case .loss: return q.trimmed(setup.link.loss, digits: 6)
        case .burst: return q.formatBurst(setup.link.burstLoss)
        case .delay: return q.exactDuration(setup.link.delay)
        case .jitter: return q.exactDuration(setup.link.jitter)
        case .rate: return setup.link.bandwidth.map(q.exactRate) ?? "off"
        case .queue: return q.formatBytes(setup.link.queueCapacity)
        case .duplicate: return q.trimmed(setup.link.duplication, digits: 6)
        case .reorder: return q.trimmed(setup.link.reordering, digits: 6)
        case .reorderDelay: return q.exactDuration(setup.link.reorderExtraDelay)
        case .corrupt: return q.trimmed(setup.link.corruption, digits: 6)
        case .reverse: return setup.reversePath.rawValue
        case .messages: return setup.workload.messageCount.map(String.init) ?? "unlimited"
        case .size: return "\(setup.workload.messageSize)"
        case .duration: return setup.workload.duration.map(q.formatDuration) ?? "unlimited"
        case .messageRate: return setup.workload.messageRate.map { q.trimmed($0, digits: 3) } ?? "unlimited"
        case .mode: return Self.modeNames.first(where: { $0.1 == setup.workload.mode })?.0 ?? "\(setup.workload.mode)"
        case .minimumRTO: return q.formatDuration(setup.engine.minimumRTO)
        case .maximumRTO: return q.formatDuration(setup.engine.maximumRTO)
        case .initialRTO: return q.formatDuration(setup.engine.initialRTO)
        case .congestion: return setup.engine.congestion.rawValue
        case .pacing: return setup.engine.pacing ? "on" : "off"
        case .receiveWindow: return q.formatBytes(setup.engine.receiveWindow)
        case .messageWindow: return "\(setup.engine.messageWindow)"
        case .sendBuffer: return setup.engine.sendBufferBytes.map(q.formatBytes) ?? "auto"
        case .datagramSize: return "\(setup.engine.maxDatagramSize)"
        case .peerTimeout: return q.formatDuration(setup.engine.peerTimeout)
        case .seed: return "\(setup.seed)"
        }
    }

    /// A human-readable version of ``value(in:)`` (rates in bits per second).
    public func displayValue(in setup: ExperimentSetup) -> String {
        if self == .rate, let rate = setup.link.bandwidth { return Quantity.formatRate(rate) }
        return value(in: setup)
    }

    /// The option's value as a number for a chart axis, in ``axisUnit``; nil for options that
    /// are not numbers (mode, congestion, pacing, reverse) or unset (unlimited rate).
    public func numericValue(in setup: ExperimentSetup) -> Double? {
        switch self {
        case .loss: return setup.link.loss
        case .burst: return setup.link.burstLoss?.stationaryLossRate ?? 0
        case .delay: return Double(setup.link.delay.nanosecondsClamped) / 1e6
        case .jitter: return Double(setup.link.jitter.nanosecondsClamped) / 1e6
        case .rate: return setup.link.bandwidth.map { Double($0) * 8 / 1e6 }
        case .queue: return Double(setup.link.queueCapacity) / 1024
        case .duplicate: return setup.link.duplication
        case .reorder: return setup.link.reordering
        case .reorderDelay: return Double(setup.link.reorderExtraDelay.nanosecondsClamped) / 1e6
        case .corrupt: return setup.link.corruption
        case .messages: return setup.workload.messageCount.map(Double.init)
        case .size: return Double(setup.workload.messageSize)
        case .duration: return setup.workload.duration.map { Double($0.nanosecondsClamped) / 1e9 }
        case .messageRate: return setup.workload.messageRate
        case .minimumRTO: return Double(setup.engine.minimumRTO.nanosecondsClamped) / 1e6
        case .maximumRTO: return Double(setup.engine.maximumRTO.nanosecondsClamped) / 1e6
        case .initialRTO: return Double(setup.engine.initialRTO.nanosecondsClamped) / 1e6
        case .receiveWindow: return Double(setup.engine.receiveWindow) / 1024
        case .messageWindow: return Double(setup.engine.messageWindow)
        case .sendBuffer: return setup.engine.sendBufferBytes.map { Double($0) / 1024 }
        case .datagramSize: return Double(setup.engine.maxDatagramSize)
        case .peerTimeout: return Double(setup.engine.peerTimeout.nanosecondsClamped) / 1e9
        case .seed: return Double(setup.seed)
        case .reverse, .mode, .congestion, .pacing: return nil
        }
    }

    /// The unit of ``numericValue(in:)``, for axis titles (`ms`, `Mbit/s`, …; empty for ratios).
    public var axisUnit: String {
        switch self {
        case .delay, .jitter, .reorderDelay, .minimumRTO, .maximumRTO, .initialRTO: return "ms"
        case .rate: return "Mbit/s"
        case .queue, .receiveWindow, .sendBuffer: return "KiB"
        case .size, .datagramSize: return "bytes"
        case .duration, .peerTimeout: return "s"
        case .messageRate: return "messages/s"
        case .burst: return "mean loss rate"
        default: return ""
        }
    }

    /// Sets a link option from a number in the link's own units (probability, nanoseconds,
    /// bytes per second, bytes), for gradual changes; false if the option is not numeric.
    func setLinkNumber(_ x: Double, in link: inout LinkOptions) -> Bool {
        switch self {
        case .loss: link.loss = min(1, max(0, x))
        case .duplicate: link.duplication = min(1, max(0, x))
        case .reorder: link.reordering = min(1, max(0, x))
        case .corrupt: link.corruption = min(1, max(0, x))
        case .delay: link.delay = .nanoseconds(Int64(max(0, x).rounded()))
        case .jitter: link.jitter = .nanoseconds(Int64(max(0, x).rounded()))
        case .reorderDelay: link.reorderExtraDelay = .nanoseconds(Int64(max(0, x).rounded()))
        case .rate: link.bandwidth = max(1, Int(x.rounded()))
        case .queue: link.queueCapacity = max(0, Int(x.rounded()))
        default: return false
        }
        return true
    }

    /// A link option as a number in the link's own units (see ``setLinkNumber(_:in:)``); nil
    /// if not numeric or unset.
    func linkNumber(in link: LinkOptions) -> Double? {
        switch self {
        case .loss: return link.loss
        case .duplicate: return link.duplication
        case .reorder: return link.reordering
        case .corrupt: return link.corruption
        case .delay: return Double(link.delay.nanosecondsClamped)
        case .jitter: return Double(link.jitter.nanosecondsClamped)
        case .reorderDelay: return Double(link.reorderExtraDelay.nanosecondsClamped)
        case .rate: return link.bandwidth.map(Double.init)
        case .queue: return Double(link.queueCapacity)
        default: return nil
        }
    }
}
