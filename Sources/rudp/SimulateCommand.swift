import ArgumentParser
import Foundation
import RUDPExperiments
import RUDPImpairment

/// `rudp simulate`: runs the real engine over the deterministic network simulator, in virtual
/// time, and reports goodput, latency, retransmissions and overhead, optionally swept over any
/// option and drawn as an SVG chart.
///
/// ```
/// rudp simulate --rate 10mbit --delay 20ms --duration 60s
/// rudp simulate --messages 5000 --size 1200 --sweep loss=0,0.01,0.05,0.1,0.2 --chart loss.svg
/// rudp simulate --scenario Specs/scenarios/partition.yaml --json
/// ```
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Simulate the protocol over a lossy network in virtual time and report.",
        discussion: """
            The client sends the workload to the server over the data direction's link; \
            acknowledgements return over the reverse path (--reverse same|clean). Everything \
            is derived from --seed: the same options print the same report.

            Units, as tc-netem writes them (the same in `rudp proxy`): times need a unit, 250ms, \
            500us, 1.5s (a bare number such as 20 is refused; only 0 may go without); rates \
            100kbit, 10mbit, 1gbit (bits/s) or 2MB/s (bytes/s), or off (kbps/mbps are refused \
            as ambiguous); sizes 1200, 64KiB; probabilities 5% or 0.05; bursty loss \
            --burst P,R[,1-H[,1-K]], tc-netem's gemodel (P good to bad, R bad to good, 1-H loss \
            in the bad state, 1-K in the good one), e.g. 1%,30%.

            Sweep any option with --sweep NAME=V1,V2,... (or NAME=FROM:TO:STEP for plain \
            numbers), e.g. --sweep loss=0,0.01,0.05,0.1,0.2 or --sweep rate=1mbit,10mbit. \
            A numeric sweep is charted as lines, a categorical one (congestion=westwood,newreno) \
            as bars. An invalid value exits 64 before anything runs.

            Examples:
              rudp simulate
              rudp simulate --rate 10mbit --delay 20ms --duration 60s
              rudp simulate --loss 0.1 --delay 50us --rate 8gbit --queue 4MiB --size 1024
              rudp simulate --messages 5000 --sweep loss=0,0.05,0.1,0.2 --chart loss.svg
              rudp simulate --loss 0.01 --sweep congestion=westwood,newreno --chart cc.svg
              rudp simulate --sweep loss=0:0.2:0.05 --csv > loss.csv
              rudp simulate --scenario Specs/scenarios/partition.yaml --json
            """
    )

    // MARK: Link
    @Option(
        help: ArgumentHelp(ExperimentParameter.loss.valueHelp, valueName: "p"),
        transform: ImpairmentArgument.parser("loss")) var loss: ImpairmentProbability?
    @Option(
        help: ArgumentHelp(ExperimentParameter.burst.valueHelp, valueName: "P,R[,1-H[,1-K]]"),
        transform: ImpairmentArgument.parser("burst")) var burst: ImpairmentBurst?
    @Option(
        help: ArgumentHelp(ExperimentParameter.delay.valueHelp + " (default 20ms)", valueName: "time"),
        transform: ImpairmentArgument.parser("delay")) var delay: ImpairmentTime?
    @Option(
        help: ArgumentHelp(ExperimentParameter.jitter.valueHelp, valueName: "time"),
        transform: ImpairmentArgument.parser("jitter")) var jitter: ImpairmentTime?
    @Option(
        help: ArgumentHelp(ExperimentParameter.rate.valueHelp + " (default 10mbit)", valueName: "rate"),
        transform: ImpairmentArgument.parser("rate")) var rate: ImpairmentRate?
    @Option(
        help: ArgumentHelp(ExperimentParameter.queue.valueHelp + " (default 64KiB)", valueName: "size"),
        transform: ImpairmentArgument.parser("queue")) var queue: ImpairmentSize?
    @Option(
        help: ArgumentHelp(ExperimentParameter.duplicate.valueHelp, valueName: "p"),
        transform: ImpairmentArgument.parser("duplicate")) var duplicate: ImpairmentProbability?
    @Option(
        help: ArgumentHelp(ExperimentParameter.reorder.valueHelp, valueName: "p"),
        transform: ImpairmentArgument.parser("reorder")) var reorder: ImpairmentProbability?
    @Option(
        help: ArgumentHelp(ExperimentParameter.reorderDelay.valueHelp + " (default 5ms)", valueName: "time"),
        transform: ImpairmentArgument.parser("reorder-delay")) var reorderDelay: ImpairmentTime?
    @Option(
        help: ArgumentHelp(ExperimentParameter.corrupt.valueHelp, valueName: "p"),
        transform: ImpairmentArgument.parser("corrupt")) var corrupt: ImpairmentProbability?
    @Option(help: ArgumentHelp(ExperimentParameter.reverse.valueHelp + " (default same)", valueName: "same|clean")) var reverse: String?

    // MARK: Workload
    @Option(help: ArgumentHelp(ExperimentParameter.messages.valueHelp + "; run until all are delivered", valueName: "n")) var messages:
        String?
    @Option(help: ArgumentHelp(ExperimentParameter.size.valueHelp + " (default 1000)", valueName: "bytes")) var size: String?
    @Option(help: ArgumentHelp(ExperimentParameter.duration.valueHelp + " (default 10s unless --messages is given)", valueName: "duration"))
    var duration: String?
    @Option(
        name: .customLong("message-rate"),
        help: ArgumentHelp(ExperimentParameter.messageRate.valueHelp + " (default unlimited)", valueName: "per-second")) var messageRate:
        String?
    @Option(help: ArgumentHelp(ExperimentParameter.mode.valueHelp + " (default reliable-ordered)", valueName: "mode")) var mode: String?

    // MARK: Engine
    @Option(name: .customLong("min-rto"), help: ArgumentHelp(ExperimentParameter.minimumRTO.valueHelp, valueName: "duration")) var minRTO:
        String?
    @Option(name: .customLong("max-rto"), help: ArgumentHelp(ExperimentParameter.maximumRTO.valueHelp, valueName: "duration")) var maxRTO:
        String?
    @Option(name: .customLong("initial-rto"), help: ArgumentHelp(ExperimentParameter.initialRTO.valueHelp, valueName: "duration"))
    var initialRTO: String?
    @Option(help: ArgumentHelp(ExperimentParameter.congestion.valueHelp + " (default westwood)", valueName: "name")) var congestion: String?
    @Option(help: ArgumentHelp(ExperimentParameter.pacing.valueHelp + " (default on)", valueName: "on|off")) var pacing: String?
    @Option(name: .customLong("receive-window"), help: ArgumentHelp(ExperimentParameter.receiveWindow.valueHelp, valueName: "bytes"))
    var receiveWindow: String?
    @Option(name: .customLong("message-window"), help: ArgumentHelp(ExperimentParameter.messageWindow.valueHelp, valueName: "n"))
    var messageWindow: String?
    @Option(
        name: .customLong("send-buffer"),
        help: ArgumentHelp(ExperimentParameter.sendBuffer.valueHelp + " (default auto)", valueName: "bytes")) var sendBuffer: String?
    @Option(
        name: .customLong("datagram-size"),
        help: ArgumentHelp(ExperimentParameter.datagramSize.valueHelp + " (default 1200)", valueName: "bytes")) var datagramSize: String?
    @Option(
        name: .customLong("peer-timeout"),
        help: ArgumentHelp(ExperimentParameter.peerTimeout.valueHelp + " (default 10s)", valueName: "duration")) var peerTimeout: String?

    // MARK: Run and output
    @Option(help: ArgumentHelp(ExperimentParameter.seed.valueHelp + " (default 1)", valueName: "n")) var seed: String?
    @Option(help: ArgumentHelp("Run once per value of one option: NAME=V1,V2,... or NAME=FROM:TO:STEP.", valueName: "name=values"))
    var sweep: String?
    @Option(
        help: ArgumentHelp(
            "Read settings and a timeline of changing conditions from a JSON or YAML file (command-line options override its settings).",
            valueName: "file")) var scenario: String?
    @Option(
        help: ArgumentHelp(
            "Width of the goodput-over-time samples (default 1s); the table lists them when this is given or the run has a timeline.",
            valueName: "duration")) var interval: String?
    @Flag(help: "Print the report as JSON instead of a table.") var json = false
    @Flag(help: "Print the report as CSV (one row per run) instead of a table.") var csv = false
    @Option(help: ArgumentHelp("Also draw goodput and p99 latency against the swept option (or over time) as SVG.", valueName: "file.svg"))
    var chart: String?
    @Flag(help: "Do not print the wall-clock speed to standard error.") var quiet = false

    /// The options given on the command line, in table order.
    private var commandLineValues: [(ExperimentParameter, String)] {
        // The link options were parsed by their options; each description is the same value
        // in the vocabulary ExperimentParameter reads (sweeps' and scenario files').
        let all: [(ExperimentParameter, String?)] = [
            (.loss, loss?.description), (.burst, burst?.description), (.delay, delay?.description),
            (.jitter, jitter?.description), (.rate, rate?.description), (.queue, queue?.description),
            (.duplicate, duplicate?.description), (.reorder, reorder?.description), (.reorderDelay, reorderDelay?.description),
            (.corrupt, corrupt?.description),
            (.reverse, reverse),
            (.messages, messages), (.size, size), (.duration, duration), (.messageRate, messageRate), (.mode, mode),
            (.minimumRTO, minRTO), (.maximumRTO, maxRTO), (.initialRTO, initialRTO), (.congestion, congestion), (.pacing, pacing),
            (.receiveWindow, receiveWindow), (.messageWindow, messageWindow), (.sendBuffer, sendBuffer),
            (.datagramSize, datagramSize), (.peerTimeout, peerTimeout), (.seed, seed),
        ]
        return all.compactMap { parameter, value in value.map { (parameter, $0) } }
    }

    /// What the options describe: the base setup, the sweep and the sample interval.
    private struct Plan {
        var setup: ExperimentSetup
        var sweep: ExperimentSweep?
        var sampleInterval: Duration
    }

    /// Parses every value (and the scenario file); throws ``ValidationError`` naming the bad one.
    private func plan() throws -> Plan {
        do {
            var setup = ExperimentSetup()
            if let scenario {
                try SimulateScenarioLoader.load(path: scenario).apply(to: &setup)
            }
            // --messages alone means "this many messages", not "for 10 s".
            if messages != nil && duration == nil && scenario == nil { setup.workload.duration = nil }
            for (parameter, value) in commandLineValues {
                try parameter.apply(value, to: &setup)
            }
            let sweepSpec = try sweep.map { try ExperimentSweep(parsing: $0, checkingAgainst: setup) }
            let sampleInterval = try interval.map { try Quantity.duration($0, for: "interval") } ?? .seconds(1)
            guard sampleInterval >= .milliseconds(1) else {
                throw ValidationError("--interval must be at least 1ms, got \(interval ?? "")")
            }
            return Plan(setup: setup, sweep: sweepSpec, sampleInterval: sampleInterval)
        } catch let error as ExperimentError {
            throw ValidationError(error.description)
        } catch let error as ImpairmentError {
            throw ValidationError(error.description)
        } catch let error as SimulateScenarioLoader.LoadError {
            throw ValidationError(error.description)
        }
    }

    /// Every value is checked here, before anything runs: a bad one exits 64 with the usage.
    func validate() throws {
        if json && csv { throw ValidationError("choose one of --json and --csv") }
        _ = try plan()
    }

    func run() async throws {
        let started = ContinuousClock.now
        let plan = try self.plan()
        // An unwritable chart path fails now, not after the whole simulation.
        let chartFile = try chart.map { try ChartFile(path: $0) }
        let report: ExperimentReport
        do {
            report = try ExperimentReport.run(
                base: plan.setup, sweep: plan.sweep,
                reproduction: reproduction(for: plan.setup),
                sampleInterval: plan.sampleInterval)
        } catch {
            chartFile?.discard()
            throw SimulateFailure(description: error.description)
        }

        let output = json ? report.json() : csv ? report.csv() : report.table(showsIntervals: interval != nil)
        FileHandle.standardOutput.write(Data(output.utf8))
        if let chartFile {
            try chartFile.write(ExperimentChart(report: report).svg())
        }
        if !quiet {
            let elapsed = ContinuousClock.now - started
            let wall = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let simulated = report.points.reduce(0.0) { $0 + Double($1.result.endTime.nanosecondsClamped) / 1e9 }
            let factor = wall > 0 ? simulated / wall : 0
            FileHandle.standardError.write(
                Data(
                    "simulated \(Quantity.trimmed(simulated, digits: 3)) s of virtual time in \(Quantity.trimmed(wall, digits: 3)) s (\(Quantity.trimmed(factor, digits: 1))x real time)\n"
                        .utf8))
        }
    }

    /// A command line that reruns this report: the scenario, every option that differs from the
    /// defaults, and the sweep.
    private func reproduction(for setup: ExperimentSetup) -> String {
        let defaults = ExperimentSetup()
        var parts = ["rudp simulate"]
        if let scenario { parts.append("--scenario \(scenario)") }
        for parameter in ExperimentParameter.allCases {
            let value = parameter.value(in: setup)
            if value != parameter.value(in: defaults) || parameter == .seed {
                parts.append("--\(parameter.name) \(value)")
            }
        }
        if let sweep { parts.append("--sweep \(sweep)") }
        return parts.joined(separator: " ")
    }
}

/// A `rudp simulate` failure: printed as `Error: <description>` with exit status 1, without
/// the usage text (the options parsed; their values or the scenario were wrong).
struct SimulateFailure: Error, CustomStringConvertible {
    /// What went wrong and what to change.
    var description: String
}
