import Foundation
import RUDPCore
import Testing

@testable import RUDPExperiments

/// Reproducibility, the report formats, option parsing and scenario files of `rudp simulate`.
@Suite("rudp simulate: reports, options and scenarios")
struct SimulateReportTests {
    private func smallSetup(seed: UInt64) throws -> ExperimentSetup {
        var setup = ExperimentSetup()
        try ExperimentParameter.seed.apply("\(seed)", to: &setup)
        try ExperimentParameter.loss.apply("3%", to: &setup)
        try ExperimentParameter.jitter.apply("5ms", to: &setup)
        try ExperimentParameter.duration.apply("2s", to: &setup)
        return setup
    }

    @Test func sameSeedAndOptionsGiveTheSameReport() throws {
        let sweep = try ExperimentSweep(parsing: "loss=0,0.05")
        let first = try ExperimentReport.run(base: smallSetup(seed: 3), sweep: sweep)
        let second = try ExperimentReport.run(base: smallSetup(seed: 3), sweep: sweep)
        #expect(first.json() == second.json())
        #expect(first.csv() == second.csv())
        #expect(first.table() == second.table())
        #expect(ExperimentChart(report: first).svg() == ExperimentChart(report: second).svg())
        let other = try ExperimentReport.run(base: smallSetup(seed: 4), sweep: sweep)
        #expect(other.points[1].result.traceDigest != first.points[1].result.traceDigest)
    }

    @Test func everyReportStatesTheSeedAndOptions() throws {
        let report = try ExperimentReport.run(
            base: smallSetup(seed: 12345), sweep: ExperimentSweep(parsing: "delay=10ms,30ms"),
            reproduction: "rudp simulate --seed 12345")
        let table = report.table()
        #expect(table.contains("seed 12345") && table.contains("loss=0.03") && table.contains("jitter=5ms"), "\(table)")
        #expect(table.contains("reproduce: rudp simulate --seed 12345"))
        let json = report.json()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], "\(json)")
        #expect(object["seed"] as? Int == 12345)
        let settings = try #require(object["settings"] as? [String: String])
        #expect(settings["loss"] == "0.03" && settings["rate"] == "10mbit")
        let points = try #require(object["points"] as? [[String: Any]])
        #expect(points.count == 2)
        #expect((points[1]["settings"] as? [String: String])?["delay"] == "30ms")
        #expect(points[0]["goodput_mbps"] as? Double != nil && points[0]["latency_p99_ms"] as? Double != nil)
        let csvLines = report.csv().split(separator: "\n")
        #expect(csvLines.count == 3)
        let columns = csvLines[0].split(separator: ",", omittingEmptySubsequences: false).count
        for line in csvLines { #expect(line.split(separator: ",", omittingEmptySubsequences: false).count == columns, "\(line)") }
        #expect(csvLines[0].contains("seed") && csvLines[1].contains("12345"))
    }

    @Test func theChartDrawsGoodputLatencyAndTheBound() throws {
        let report = try ExperimentReport.run(base: smallSetup(seed: 1), sweep: ExperimentSweep(parsing: "loss=0,0.02,0.04"))
        let svg = ExperimentChart(report: report).svg()
        #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>\n"))
        #expect(svg.contains("(1 - loss) × rate") && svg.contains("p99 latency") && svg.contains("goodput"))
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 5)
        #expect(!svg.contains("nan") && !svg.contains("inf"))
    }

    @Test(arguments: [
        (ExperimentParameter.loss, "1.5"), (.loss, "abc"), (.rate, "10"), (.rate, "-5Mbit/s"), (.delay, "-1s"),
        (.delay, "20"), (.size, "7"), (.queue, "12XB"), (.mode, "sometimes"), (.congestion, "cubic"),
        (.burst, "5%"), (.burst, "90%:1.05"), (.burst, "1%,30%,50%,20%,1%"), (.rate, "10mbps"), (.seed, "-1"), (.messageWindow, "0"),
        (.datagramSize, "100"),
        (.messages, "2.5"), (.messageRate, "0"), (.reverse, "sideways"), (.reorderDelay, "7"), (.reorderDelay, "-1ms"),
    ])
    func badValuesAreTypedErrors(parameter: ExperimentParameter, value: String) {
        var setup = ExperimentSetup()
        let before = setup
        #expect(throws: ExperimentError.self, "\(parameter)=\(value)") { try parameter.apply(value, to: &setup) }
        #expect(setup == before)
    }

    /// `mtu` is not another name for `datagram-size`: in the proxy's vocabulary it is a link
    /// limit that drops larger datagrams, which the simulator does not have.
    @Test func mtuIsNotAnAliasOfTheDatagramSize() throws {
        #expect(try ExperimentParameter.named("datagram-size") == .datagramSize)
        #expect(throws: ExperimentError.self) { try ExperimentParameter.named("mtu") }
    }

    /// `reorder-delay` (the proxy's option, ``LinkOptions/reorderExtraDelay``) is a link option
    /// like the others: set by name, read back, reported, swept, changed by a timeline, and it
    /// bounds how late a held-back datagram arrives.
    @Test func reorderDelayIsALinkOption() throws {
        var setup = ExperimentSetup()
        #expect(ExperimentParameter.reorderDelay.value(in: setup) == "5ms")
        try ExperimentParameter.named("reorder-delay").apply("70ms", to: &setup)
        #expect(setup.link.reorderExtraDelay == .milliseconds(70))
        #expect(ExperimentParameter.reorderDelay.value(in: setup) == "70ms")
        #expect(setup.settings.contains { $0.name == "reorder-delay" && $0.value == "70ms" })
        #expect(ExperimentParameter.reorderDelay.isLinkOption && ExperimentParameter.reorderDelay.axisUnit == "ms")
        do {
            try ExperimentParameter.reorderDelay.apply("7", to: &setup)
            Issue.record("a time without a unit was accepted")
        } catch {
            #expect(error.description.contains("reorder-delay") && error.description.contains("7ms"), "\(error)")
        }

        let scenario = #"{"timeline": [{"at": "1s", "set": {"reorder-delay": "1s"}}]}"#
        var changed = ExperimentSetup()
        try JSONDecoder().decode(ScenarioFile.self, from: Data(scenario.utf8)).apply(to: &changed)
        let (phases, _) = try changed.schedule()
        #expect(phases.map(\.link.reorderExtraDelay) == [.milliseconds(5), .seconds(1)])

        // 20% of the datagrams held back by up to 2 x 20ms + the slack: with 500ms of slack the
        // slowest message (unreliable: no retransmission overtakes it) arrives far later.
        var base = ExperimentSetup()
        let options = [(ExperimentParameter.reorder, "20%"), (.mode, "unreliable"), (.messages, "300"), (.duration, "unlimited")]
        for (parameter, value) in options {
            try parameter.apply(value, to: &base)
        }
        let sweep = try ExperimentSweep(parsing: "reorder-delay=0,500ms")
        #expect(sweep.parameter == .reorderDelay)
        let report = try ExperimentReport.run(base: base, sweep: sweep)
        let (none, long) = (report.points[0].result, report.points[1].result)
        #expect(none.completed && long.completed)
        let (noneMax, longMax) = (try #require(none.latencyMax), try #require(long.latencyMax))
        #expect(longMax > noneMax + 200_000_000, "max latency \(noneMax) ns without slack, \(longMax) ns with 500ms")
    }

    @Test func theCongestionErrorListsWhatExists() {
        var setup = ExperimentSetup()
        do {
            try ExperimentParameter.congestion.apply("cubic", to: &setup)
            Issue.record("cubic was accepted")
        } catch {
            #expect(error.description.contains("newreno"), "\(error)")
        }
    }

    @Test func inconsistentSetupsAreRejectedBeforeRunning() throws {
        var setup = ExperimentSetup()
        setup.workload.duration = nil
        #expect(throws: ExperimentError.self) { try ExperimentRunner.run(setup) }
        setup = ExperimentSetup()
        try ExperimentParameter.minimumRTO.apply("2s", to: &setup)
        try ExperimentParameter.maximumRTO.apply("1s", to: &setup)
        #expect(throws: ExperimentError.self) { try ExperimentRunner.run(setup) }
        setup = ExperimentSetup()
        try ExperimentParameter.queue.apply("500", to: &setup)
        #expect(throws: ExperimentError.self) { try ExperimentRunner.run(setup) }
        setup = ExperimentSetup()
        setup.timeline = [ConditionChange(at: .seconds(1), kind: .set([(.size, "100")]))]
        #expect(throws: ExperimentError.self) { try ExperimentRunner.run(setup) }
        #expect(throws: ExperimentError.self) { try ExperimentSweep(parsing: "loss=0,2") }
        #expect(throws: ExperimentError.self) { try ExperimentSweep(parsing: "colour=red") }
    }

    @Test func sweepsAcceptListsAndRanges() throws {
        let list = try ExperimentSweep(parsing: "loss=0,0.01,0.05")
        #expect(list.parameter == .loss && list.values == ["0", "0.01", "0.05"])
        let range = try ExperimentSweep(parsing: "loss=0:0.2:0.05")
        #expect(range.values == ["0", "0.05", "0.1", "0.15", "0.2"])
        let named = try ExperimentSweep(parsing: "min_rto=10ms,100ms")
        #expect(named.parameter == .minimumRTO)
        // A burst model's fields are separated by spaces in a sweep (commas separate the runs).
        let bursts = try ExperimentSweep(parsing: "burst=1% 30%,gemodel 2% 30% 90%,off")
        #expect(bursts.values == ["1% 30%", "gemodel 2% 30% 90%", "off"])
    }

    @Test func rampsExpandIntoSteps() throws {
        var setup = ExperimentSetup()
        setup.timeline = [
            ConditionChange(at: .seconds(10), kind: .ramp(until: .seconds(20), steps: 4, [(.loss, "0.2"), (.rate, "2mbit")]))
        ]
        let (phases, partitions) = try setup.schedule()
        #expect(partitions.isEmpty)
        #expect(phases.map(\.start) == [.zero, .milliseconds(12_500), .seconds(15), .milliseconds(17_500), .seconds(20)])
        let losses = phases.map(\.link.loss)
        for (actual, expected) in zip(losses, [0, 0.05, 0.1, 0.15, 0.2]) { #expect(abs(actual - expected) < 1e-12, "\(losses)") }
        #expect(phases.last?.link.bandwidth == 250_000)
        #expect(phases[2].link.bandwidth == 250_000 + (1_250_000 - 250_000) / 2)
    }

    /// The example scenarios shipped in Specs/scenarios are valid (the JSON ones decode here;
    /// YAML needs Yams, which the `rudp` tool uses).
    @Test func shippedJSONScenariosRun() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Specs/scenarios").standardized
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }.sorted()
        #expect(!files.isEmpty)
        for file in files {
            let data = try Data(contentsOf: directory.appendingPathComponent(file))
            let scenario = try JSONDecoder().decode(ScenarioFile.self, from: data)
            var setup = ExperimentSetup()
            try scenario.apply(to: &setup)
            #expect(!setup.timeline.isEmpty, "\(file)")
            setup.workload.duration = .seconds(3)  // keep the suite fast; the timeline is still checked
            _ = try setup.schedule()
            let result = try ExperimentRunner.run(setup)
            #expect(result.messagesDelivered > 0, "\(file)")
        }
    }

    @Test func scenarioFilesDecodeSettingsAndTimeline() throws {
        let json = """
            {"name": "t", "settings": {"rate": "5mbit", "loss": 0.01, "size": 1200, "seed": 9},
             "timeline": [{"at": "1s", "partition": "500ms"},
                          {"at": "2s", "set": {"loss": "5%"}},
                          {"at": "3s", "until": "4s", "steps": 2, "ramp": {"delay": "60ms"}}]}
            """
        let scenario = try JSONDecoder().decode(ScenarioFile.self, from: Data(json.utf8))
        var setup = ExperimentSetup()
        try scenario.apply(to: &setup)
        #expect(setup.name == "t" && setup.seed == 9 && setup.link.bandwidth == 625_000 && setup.link.loss == 0.01)
        #expect(setup.workload.messageSize == 1200)
        #expect(setup.timeline.count == 3)
        let (phases, partitions) = try setup.schedule()
        #expect(partitions == [.seconds(1) ..< .milliseconds(1500)])
        #expect(phases.map(\.start) == [.zero, .seconds(2), .milliseconds(3500), .seconds(4)])
        #expect(phases[2].link.delay == .milliseconds(40) && phases[3].link.delay == .milliseconds(60))

        let bad = #"{"timeline": [{"at": "1s", "partition": "1s", "set": {"loss": 0}}]}"#
        let badScenario = try JSONDecoder().decode(ScenarioFile.self, from: Data(bad.utf8))
        var other = ExperimentSetup()
        #expect(throws: ExperimentError.self) { try badScenario.apply(to: &other) }
        let unknown = #"{"settings": {"colour": "red"}}"#
        #expect(throws: ExperimentError.self) { try JSONDecoder().decode(ScenarioFile.self, from: Data(unknown.utf8)).apply(to: &other) }
    }

    @Test func latencyPercentilesAreWithinATenthOfAPercent() {
        var tally = ReceiverTally(intervalNanoseconds: 1_000_000_000, maxIntervals: 10)
        #expect(tally.latency(atPercentile: 50) == nil && tally.latencyMax == nil && tally.latencyMean == nil)
        let sentAt: UInt64 = 5_000_000
        for value in 1...100_000 {
            // The first 8 bytes hold the offer time (little-endian), as the workload sender writes it.
            let bytes = (0..<8).map { UInt8(truncatingIfNeeded: sentAt >> (8 * UInt64($0))) } + [0, 0]
            tally.record(bytes, at: Timestamp(nanoseconds: sentAt + UInt64(value) * 1_000), offerDeadline: nil)
        }
        let p50 = Double(tally.latency(atPercentile: 50)!)
        let p99 = Double(tally.latency(atPercentile: 99)!)
        #expect(abs(p50 - 50_000_000) / 50_000_000 < 0.001, "\(p50)")
        #expect(abs(p99 - 99_000_000) / 99_000_000 < 0.001, "\(p99)")
        #expect(tally.latencyMax == 100_000_000 && tally.latencies.totalCount == 100_000)
        #expect(tally.latencyMean == 50_000_500)
        #expect(tally.latency(atPercentile: 100) == 100_000_000)
    }
}
