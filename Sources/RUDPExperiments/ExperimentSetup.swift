import RUDPCore
import RUDPImpairment
import RUDPSimulation

/// Everything that determines one experiment: the seed, the link, the workload, the engine
/// settings and a timeline of changing conditions. ``ExperimentRunner`` runs it; the same setup
/// always gives the same result.
///
/// The client sends the workload to the server over the **data direction** link ``link``; the
/// server's acknowledgements return over a link derived from it by ``reversePath``.
///
/// ```swift
/// var setup = ExperimentSetup()
/// try ExperimentParameter.rate.apply("10mbit", to: &setup)
/// try ExperimentParameter.loss.apply("1%", to: &setup)
/// setup.timeline = [ConditionChange(at: .seconds(10), kind: .partition(.seconds(3)))]
/// let result = try ExperimentRunner.run(setup)
/// print(result.goodput)
/// ```
public struct ExperimentSetup: Sendable, Equatable {
    /// How the return path (server to client) relates to the data direction's link.
    public enum ReversePath: String, Sendable, CaseIterable {
        /// The same options as the data direction (independent random draws).
        case same
        /// The same delay and rate, without loss, bursts, duplication, reordering or corruption.
        case clean
    }

    /// The seed every random draw of the run derives from.
    public var seed: UInt64 = 1
    /// The data direction's link at the start of the run. Defaults: 10 Mbit/s, 20 ms one way,
    /// a 64 KiB queue, no impairment.
    public var link = LinkOptions(delay: .milliseconds(20), bandwidth: 1_250_000, queueCapacity: 64 * 1024)
    /// How the return path is derived from ``link``.
    public var reversePath: ReversePath = .same
    /// What the application sends.
    public var workload = ExperimentWorkload()
    /// Engine settings.
    public var engine = ExperimentEngineSettings()
    /// Changes of conditions during the run, in any order.
    public var timeline: [ConditionChange] = []
    /// A name for reports (a scenario's name), if any.
    public var name: String?

    /// The default setup: 10 s of bulk transfer over a clean 10 Mbit/s link with 20 ms delay.
    public init() {}

    /// Every option and its value, in a fixed order, for reports.
    public var settings: [(name: String, value: String)] {
        ExperimentParameter.allCases.map { ($0.name, $0.displayValue(in: self)) }
    }

    /// The send buffer in bytes: the configured one, or for `auto` twice the path's
    /// bandwidth-delay product plus the bottleneck queue (at least 64 KiB, at most the
    /// engine's default), so a bulk sender keeps the pipe full without queueing seconds of data.
    public var effectiveSendBuffer: Int {
        if let configured = engine.sendBufferBytes { return configured }
        let engineDefault = ConnectionConfiguration().sendBufferBytes
        guard let rate = link.bandwidth else { return engineDefault }
        let roundTrip = Double(link.delay.nanosecondsClamped + link.jitter.nanosecondsClamped) * 2 / 1e9
        let bdp = Double(rate) * roundTrip
        let auto = 2 * bdp + Double(link.queueCapacity)
        return min(engineDefault, max(64 * 1024, Int(auto)))
    }

    /// The connection configuration both endpoints use.
    public var configuration: ConnectionConfiguration {
        engine.configuration(messageSize: workload.messageSize, sendBuffer: effectiveSendBuffer)
    }

    /// Checks the setup; throws a description of the first problem.
    public func validate() throws(ExperimentError) {
        try workload.validate()
        if let problem = configuration.validate() { throw .invalidSetup(problem) }
        if engine.minimumRTO > engine.maximumRTO {
            throw .invalidSetup("--min-rto must not exceed --max-rto")
        }
        if engine.initialRTO <= .zero { throw .invalidSetup("--initial-rto must be positive") }
        if link.queueCapacity < engine.maxDatagramSize, link.bandwidth != nil {
            throw .invalidSetup(
                "--queue \(link.queueCapacity) is smaller than one datagram (\(engine.maxDatagramSize) bytes): nothing would get through")
        }
        _ = try schedule()
    }

    /// One stretch of constant link options, from `start` (relative to the run's start).
    public struct Phase: Sendable, Equatable {
        /// When the phase starts.
        public var start: Duration
        /// The data direction's options during the phase (partitions not included).
        public var link: LinkOptions
    }

    /// The link options over time (timeline applied, ramps expanded), and the partition windows
    /// (relative to the run's start). The first phase starts at zero.
    public func schedule() throws(ExperimentError) -> (phases: [Phase], partitions: [Range<Duration>]) {
        var phases = [Phase(start: .zero, link: link)]
        var partitions: [Range<Duration>] = []
        // Stable sort by time: equal times keep the order written.
        let changes = timeline.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
        var current = link
        func apply(_ assignments: [ConditionChange.Assignment], to options: inout LinkOptions) throws(ExperimentError) {
            for assignment in assignments {
                guard assignment.parameter.isLinkOption else {
                    throw .invalidScenario(
                        "\(assignment.parameter.name) is not a link option; a timeline can change "
                            + ExperimentParameter.allCases.filter(\.isLinkOption).map(\.name).joined(separator: ", "))
                }
                var scratch = self
                scratch.link = options
                try assignment.parameter.apply(assignment.value, to: &scratch)
                options = scratch.link
            }
        }
        func addPhase(at start: Duration, _ options: LinkOptions) {
            if let last = phases.last, last.start == start {
                phases[phases.count - 1].link = options
            } else {
                phases.append(Phase(start: start, link: options))
            }
        }
        var rampEnds: [Duration] = []
        for change in changes {
            if change.at < .zero { throw .invalidScenario("a change happens at a negative time (\(change.summary))") }
            switch change.kind {
            case let .partition(length):
                guard length > .zero else { throw .invalidScenario("a partition must last some time (\(change.summary))") }
                partitions.append(change.at..<change.at + length)
            case let .set(assignments):
                if let end = rampEnds.max(), change.at < end {
                    throw .invalidScenario("\(change.summary) happens during a ramp that ends at \(Quantity.formatDuration(end))")
                }
                try apply(assignments, to: &current)
                addPhase(at: change.at, current)
            case let .ramp(until, steps, assignments):
                guard until > change.at else { throw .invalidScenario("a ramp must end after it starts (\(change.summary))") }
                guard (1...1_000).contains(steps) else { throw .invalidScenario("a ramp takes 1 to 1000 steps (\(change.summary))") }
                if let end = rampEnds.max(), change.at < end {
                    throw .invalidScenario("\(change.summary) overlaps an earlier ramp ending at \(Quantity.formatDuration(end))")
                }
                var target = current
                try apply(assignments, to: &target)
                let span = until - change.at
                for step in 1...steps {
                    let fraction = Double(step) / Double(steps)
                    var options = target
                    if step < steps {
                        // Numeric options move proportionally; the others switch at the last step.
                        options = current
                        for assignment in assignments {
                            if let from = assignment.parameter.linkNumber(in: current),
                                let to = assignment.parameter.linkNumber(in: target)
                            {
                                _ = assignment.parameter.setLinkNumber(from + (to - from) * fraction, in: &options)
                            }
                        }
                    }
                    addPhase(at: step == steps ? until : change.at + span * fraction, options)
                }
                current = target
                rampEnds.append(until)
            }
        }
        return (phases, partitions)
    }

    /// The return path's options for the data direction's options `forward`.
    public func reverse(of forward: LinkOptions) -> LinkOptions {
        switch reversePath {
        case .same:
            return forward
        case .clean:
            var clean = LinkOptions(delay: forward.delay, jitter: forward.jitter)
            clean.bandwidth = forward.bandwidth
            clean.queueCapacity = forward.queueCapacity
            clean.partitions = forward.partitions
            return clean
        }
    }
}
