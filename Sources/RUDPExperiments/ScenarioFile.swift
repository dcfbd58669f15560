import RUDPCore
import RUDPImpairment
import RUDPSimulation

/// A scenario for `rudp simulate --scenario FILE`, as read from JSON or YAML (the decoding is
/// done by the caller with any `Decoder`; this type only needs the standard library).
///
/// ```yaml
/// name: partition-at-10s
/// description: A 3 s partition in the middle of a bulk transfer.
/// settings:            # any option of `rudp simulate`, as on the command line
///   rate: 10mbit
///   delay: 20ms
///   duration: 30s
///   seed: 7
/// timeline:            # changes of the data direction's link, from the start of the run
///   - at: 10s
///     partition: 3s
///   - at: 20s
///     set: { loss: 5% }
///   - at: 20s
///     until: 30s
///     steps: 10
///     ramp: { rate: 2mbit }
/// ```
///
/// ```swift
/// let file = try JSONDecoder().decode(ScenarioFile.self, from: data)
/// var setup = ExperimentSetup()
/// try file.apply(to: &setup)
/// ```
public struct ScenarioFile: Decodable, Sendable, Equatable {
    /// A scalar written as text, a number or a boolean; kept as text, as typed where possible.
    public struct Scalar: Decodable, Sendable, Equatable, CustomStringConvertible {
        /// The value as text.
        public var text: String

        /// Wraps text.
        public init(_ text: String) { self.text = text }

        /// Decodes a text, an integer, a floating-point number or a boolean.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let string = try? container.decode(String.self) {
                text = string
            } else if let integer = try? container.decode(Int64.self) {
                text = "\(integer)"
            } else if let double = try? container.decode(Double.self) {
                text = "\(double)"
            } else if let bool = try? container.decode(Bool.self) {
                text = "\(bool)"
            } else {
                throw DecodingError.typeMismatch(
                    String.self,
                    .init(
                        codingPath: decoder.codingPath,
                        debugDescription: "expected a text, number or boolean value"))
            }
        }

        /// The value as text.
        public var description: String { text }
    }

    /// One change of conditions.
    public struct Event: Decodable, Sendable, Equatable {
        /// When, from the start of the run (`10s`).
        public var at: Scalar
        /// A partition of this length (`3s`).
        public var partition: Scalar?
        /// Link options that change at once.
        public var set: [String: Scalar]?
        /// Link options that move gradually to these targets, reaching them at ``until``.
        public var ramp: [String: Scalar]?
        /// The end of a ramp.
        public var until: Scalar?
        /// How many steps a ramp takes (default 10).
        public var steps: Int?
    }

    /// A short name for reports.
    public var name: String?
    /// What the scenario shows.
    public var description: String?
    /// Options, by their command-line names.
    public var settings: [String: Scalar]?
    /// Changes over time.
    public var timeline: [Event]?

    /// Sets `setup`'s options and timeline from the file; throws if a name or value is invalid.
    /// Options are applied in ``ExperimentParameter``'s order, so the result does not depend on
    /// the order of the keys in the file.
    public func apply(to setup: inout ExperimentSetup) throws(ExperimentError) {
        if let name { setup.name = name }
        for (parameter, value) in try Self.assignments(settings ?? [:], context: "settings") {
            try parameter.apply(value, to: &setup)
        }
        var changes: [ConditionChange] = []
        for (index, event) in (timeline ?? []).enumerated() {
            let context = "timeline entry \(index + 1)"
            let at = try Self.duration(event.at.text, for: "\(context) at")
            let kinds = [event.partition != nil, event.set != nil, event.ramp != nil].filter { $0 }.count
            guard kinds == 1 else {
                throw .invalidScenario("\(context) must have exactly one of partition, set or ramp")
            }
            if let partition = event.partition {
                changes.append(ConditionChange(at: at, kind: .partition(try Self.duration(partition.text, for: "\(context) partition"))))
            } else if let set = event.set {
                changes.append(
                    ConditionChange(
                        at: at, kind: .set(try Self.assignments(set, context: context).map { ConditionChange.Assignment($0.0, $0.1) })))
            } else if let ramp = event.ramp {
                guard let until = event.until else { throw .invalidScenario("\(context): a ramp needs until (when it ends)") }
                let end = try Self.duration(until.text, for: "\(context) until")
                changes.append(
                    ConditionChange(
                        at: at,
                        kind: .ramp(
                            until: end, steps: event.steps ?? 10,
                            try Self.assignments(ramp, context: context).map { ConditionChange.Assignment($0.0, $0.1) })))
            }
        }
        setup.timeline = changes
    }

    /// A time of the timeline, in the shared vocabulary (`Quantity.duration(_:for:)`).
    private static func duration(_ text: String, for parameter: String) throws(ExperimentError) -> Duration {
        do {
            return try Quantity.duration(text, for: parameter)
        } catch {
            throw ExperimentError(error)
        }
    }

    /// The options of a map in ``ExperimentParameter`` order; throws on unknown or repeated names.
    private static func assignments(_ map: [String: Scalar], context: String) throws(ExperimentError) -> [(ExperimentParameter, String)] {
        var found: [(ExperimentParameter, String)] = []
        for (key, value) in map {
            let parameter: ExperimentParameter
            do {
                parameter = try ExperimentParameter.named(key)
            } catch {
                throw .invalidScenario("\(context): \(error)")
            }
            if found.contains(where: { $0.0 == parameter }) {
                throw .invalidScenario("\(context): \(parameter.name) is given twice")
            }
            found.append((parameter, value.text))
        }
        let order = ExperimentParameter.allCases
        return found.sorted { order.firstIndex(of: $0.0)! < order.firstIndex(of: $1.0)! }
    }
}
