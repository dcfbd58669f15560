import RUDPCore
import RUDPSimulation

/// The outcome of `rudp simulate`: the settings (seed included), the swept option if any, and
/// one measured point per value. Rendered by `table()`, ``json()``, ``csv()`` and
/// ``ExperimentChart``; nothing in it depends on the wall clock, so the same setup prints the
/// same report.
///
/// ```swift
/// let sweep = try ExperimentSweep(parameter: .loss, values: ["0", "0.05", "0.1"])
/// let report = try ExperimentReport.run(base: setup, sweep: sweep)
/// print(report.table())
/// ```
public struct ExperimentReport: Sendable {
    /// One run of the sweep (or the only run).
    public struct Point: Sendable {
        /// The swept option's value as given (nil without a sweep).
        public var label: String?
        /// That value as a number on the chart's axis, if it is numeric.
        public var x: Double?
        /// The setup of this run.
        public var setup: ExperimentSetup
        /// What it measured.
        public var result: ExperimentResult
    }

    /// The setup every run started from (before the sweep's value was applied).
    public var base: ExperimentSetup
    /// The swept option, if any.
    public var sweep: ExperimentSweep?
    /// The runs, in sweep order.
    public var points: [Point]
    /// How to run it again (the command line), if known.
    public var reproduction: String?

    /// Runs `base` once, or once per value of `sweep`.
    public static func run(
        base: ExperimentSetup, sweep: ExperimentSweep? = nil, reproduction: String? = nil,
        sampleInterval: Duration = .seconds(1)
    ) throws(ExperimentError) -> ExperimentReport {
        var points: [Point] = []
        if let sweep {
            for value in sweep.values {
                var setup = base
                try sweep.parameter.apply(value, to: &setup)
                let result = try ExperimentRunner.run(setup, sampleInterval: sampleInterval)
                points.append(Point(label: value, x: sweep.parameter.numericValue(in: setup), setup: setup, result: result))
            }
        } else {
            points.append(Point(label: nil, x: nil, setup: base, result: try ExperimentRunner.run(base, sampleInterval: sampleInterval)))
        }
        return ExperimentReport(base: base, sweep: sweep, points: points, reproduction: reproduction)
    }

    /// Creates a report from runs already made.
    public init(base: ExperimentSetup, sweep: ExperimentSweep?, points: [Point], reproduction: String?) {
        self.base = base
        self.sweep = sweep
        self.points = points
        self.reproduction = reproduction
    }

    /// The settings shown in the report's header: every option, except the swept one, which
    /// varies per point.
    public var fixedSettings: [(name: String, value: String)] {
        base.settings.filter { $0.name != sweep?.parameter.name }
    }

    /// The timeline of conditions, one line per change, in time order.
    public var timelineSummary: [String] {
        base.timeline.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element.summary)
    }
}
