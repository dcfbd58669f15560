import RUDPCore
import RUDPImpairment
import RUDPSimulation

/// One change of network conditions during an experiment, at a time measured from the start
/// of the run (before the handshake): a partition, new link options, or a gradual change.
///
/// Changes apply to the data direction's link; the return path follows the experiment's
/// ``ExperimentSetup/ReversePath`` (partitions always cut both directions).
///
/// ```swift
/// let timeline: [ConditionChange] = [
///     .init(at: .seconds(10), kind: .partition(.seconds(3))),
///     .init(at: .seconds(20), kind: .set([(.rate, "5mbit")])),
///     .init(at: .seconds(30), kind: .ramp(until: .seconds(50), steps: 10, [(.loss, "0.2")])),
/// ]
/// ```
public struct ConditionChange: Sendable, Equatable {
    /// What changes.
    public enum Kind: Sendable, Equatable {
        /// Nothing gets through, in either direction, for this long.
        case partition(Duration)
        /// These link options take these values (parsed like the command-line options).
        case set([Assignment])
        /// These link options move in `steps` equal steps from their current values to these
        /// targets, the last step landing at `until`.
        case ramp(until: Duration, steps: Int, [Assignment])
    }

    /// One option and its value as text, e.g. `(.loss, "5%")`.
    public struct Assignment: Sendable, Equatable {
        /// The option changed; must be a link option (``ExperimentParameter/isLinkOption``).
        public var parameter: ExperimentParameter
        /// Its new value, as on the command line.
        public var value: String

        /// Pairs an option with a value.
        public init(_ parameter: ExperimentParameter, _ value: String) {
            self.parameter = parameter
            self.value = value
        }
    }

    /// When the change happens, from the start of the run.
    public var at: Duration
    /// What changes.
    public var kind: Kind

    /// A change at `at`.
    public init(at: Duration, kind: Kind) {
        self.at = at
        self.kind = kind
    }

    /// One line for reports: `10s: partition for 3s`, `20s: rate=5mbit`.
    public var summary: String {
        let when = Quantity.formatDuration(at)
        switch kind {
        case let .partition(length):
            return "\(when): partition for \(Quantity.formatDuration(length))"
        case let .set(assignments):
            return "\(when): " + assignments.map { "\($0.parameter.name)=\($0.value)" }.joined(separator: " ")
        case let .ramp(until, steps, assignments):
            return "\(when)..\(Quantity.formatDuration(until)): ramp "
                + assignments.map { "\($0.parameter.name)->\($0.value)" }.joined(separator: " ")
                + " in \(steps) steps"
        }
    }
}

extension ConditionChange.Kind {
    /// Builds a ``set(_:)`` from `(parameter, value)` pairs.
    public static func set(_ pairs: [(ExperimentParameter, String)]) -> Self {
        .set(pairs.map { ConditionChange.Assignment($0.0, $0.1) })
    }

    /// Builds a ``ramp(until:steps:_:)`` from `(parameter, target)` pairs.
    public static func ramp(until: Duration, steps: Int, _ pairs: [(ExperimentParameter, String)]) -> Self {
        .ramp(until: until, steps: steps, pairs.map { ConditionChange.Assignment($0.0, $0.1) })
    }
}
