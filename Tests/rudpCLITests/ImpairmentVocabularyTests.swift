import Foundation
import Testing

@testable import rudp

/// `rudp proxy` and `rudp simulate` read the same impairment values (tc-netem's names and
/// units) and refuse the same ones with the same reason, parsed in process as `rudp` does.
@Suite struct ImpairmentVocabularyTests {
    static let proxy = ["proxy", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:9"]

    /// Both commands' command lines for `option value`.
    static func bothCommands(_ option: String, _ value: String) -> [[String]] {
        [["simulate", "--\(option)", value], proxy + ["--\(option)", value]]
    }

    @Test(arguments: [
        ("delay", "20ms"), ("delay", "500us"), ("delay", "1s"), ("delay", "0"), ("jitter", "5ms"),
        ("rate", "100kbit"), ("rate", "10mbit"), ("rate", "1gbit"), ("rate", "2MB/s"), ("rate", "10Mbit/s"),
        ("rate", "off"), ("loss", "1%"), ("loss", "0.01"), ("burst", "1%,30%"), ("burst", "1%,30%,80%,0.1%"),
        ("burst", "off"), ("queue", "64KiB"), ("duplicate", "2%"), ("reorder", "0.1"), ("corrupt", "0.5%"),
        ("reorder-delay", "7ms"), ("reorder-delay", "0"),
    ])
    func bothCommandsAcceptTheSameValues(option: String, value: String) {
        for arguments in Self.bothCommands(option, value) {
            let (status, message) = OptionRangeTests.parse(arguments)
            #expect(status == 0, "rudp \(arguments.joined(separator: " ")): \(message)")
        }
    }

    @Test(arguments: [
        ("delay", "20", "a time needs a unit: 20ms, 20us or 20s"),
        ("jitter", "5", "a time needs a unit: 5ms, 5us or 5s"),
        ("reorder-delay", "7", "a time needs a unit: 7ms, 7us or 7s"),
        ("rate", "10", "a rate needs a unit: 10kbit, 10mbit or 10MB/s"),
        ("rate", "10mbps", "ambiguous"),
        ("loss", "150%", "between 0 and 1"),
        ("burst", "1%", "gemodel"),
    ])
    func bothCommandsRefuseTheSameValuesWithTheSameReason(option: String, value: String, reason: String) {
        for arguments in Self.bothCommands(option, value) {
            let (status, message) = OptionRangeTests.parse(arguments)
            #expect(
                status == 64 && message.contains("--\(option)") && message.contains(reason),
                "rudp \(arguments.joined(separator: " ")) exits \(status): \(message)")
        }
    }

    /// `simulate --reorder-delay` (the proxy's option, same name, unit and default) reaches the
    /// simulated link: the report's settings and its command line for a rerun show it.
    @Test func simulateTakesTheProxysReorderDelay() async throws {
        let run = try await ChildProcess.run(
            ["simulate", "--reorder", "10%", "--reorder-delay", "70ms", "--messages", "50", "--json", "--quiet"],
            seconds: HangGuard.processSeconds)
        #expect(run.status == 0, "\(run.error)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any], "\(run.output)")
        let settings = try #require(report["settings"] as? [String: String], "\(run.output)")
        #expect(settings["reorder-delay"] == "70ms" && settings["reorder"] == "0.1", "\(settings)")
        #expect((report["reproduce"] as? String)?.contains("--reorder-delay 70ms") == true, "\(report["reproduce"] ?? "")")

        // The default is the proxy's, 5ms, and a value without a unit is refused before anything runs.
        let help = RUDPCommand.helpMessage(for: SimulateCommand.self, columns: 10_000)
        #expect(help.contains("--reorder-delay <time>") && help.contains("at most 2 x delay + this (default 5ms)"), "\(help)")
        let refused = try await ChildProcess.run(["simulate", "--reorder-delay", "7"], seconds: HangGuard.processSeconds)
        #expect(refused.status == 64, "\(refused.error)")
        CLIProcessTests.expectCleanError(refused.error, mentioning: ["--reorder-delay", "a time needs a unit: 7ms"])
    }

    @Test func theProxyTakesADirectionBeforeAnyValue() {
        let (status, message) = OptionRangeTests.parse(
            Self.proxy + ["--delay", "up:20ms", "--burst", "down:1%,30%", "--rate", "up:10mbit"])
        #expect(status == 0, "\(message)")
        let (refused, why) = OptionRangeTests.parse(Self.proxy + ["--delay", "down:20"])
        #expect(refused == 64 && why.contains("20ms"), "\(why)")
    }
}
