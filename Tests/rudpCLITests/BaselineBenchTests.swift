import Foundation
import Testing

@testable import rudp

/// `rudp bench --baseline`: the raw-UDP floor measured beside the protocol in one invocation.
@Suite struct BaselineBenchTests {
    @Test func baselineAndProtocolRunEndToEndWithRatiosAndEveryDatagramAccountedFor() async throws {
        let result = try await ChildProcess.run(
            ["bench", "--baseline", "--rounds", "2", "--messages", "2000", "--warmup", "300", "--json"], seconds: HangGuard.transferSeconds
        )
        #expect(result.status == 0, "\(result.error)")
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any], "not JSON: \(result.output)")
        #expect(object["rounds"] as? Int == 2)
        #expect(object["mode"] as? String == "bulk")
        let baselineRuns = try #require(object["baseline"] as? [[String: Any]])
        let protocolRuns = try #require(object["protocol"] as? [[String: Any]])
        #expect(baselineRuns.count == 2 && protocolRuns.count == 2)
        for run in baselineRuns {
            #expect((run["throughputMBps"] as? Double ?? 0) > 0, "\(run)")
            let sent = try #require(run["datagramsSent"] as? Int), read = try #require(run["datagramsReceived"] as? Int)
            let missing = try #require(run["messagesMissing"] as? Int), late = try #require(run["messagesLate"] as? Int)
            #expect(sent == 2300, "\(run)")
            // Each datagram was read in sequence, or late, or counted as missing.
            #expect(read - late + missing == sent, "\(run)")
            let latency = try #require(run["latencyMs"] as? [String: Any])
            let p50 = try #require(latency["p50"] as? Double), p99 = try #require(latency["p99"] as? Double)
            #expect(p50 > 0 && p50 <= p99, "\(latency)")
        }
        for run in protocolRuns {
            #expect((run["throughputMBps"] as? Double ?? 0) > 0, "\(run)")
        }
        let ratios = try #require(object["ratios"] as? [String: Any])
        for key in ["throughput", "latencyP50", "latencyP99"] {
            let ratio = try #require(ratios[key] as? [String: Any], "ratios.\(key) missing: \(ratios)")
            let median = try #require(ratio["ofMedians"] as? Double), low = try #require(ratio["roundsMin"] as? Double)
            let high = try #require(ratio["roundsMax"] as? Double)
            #expect(median > 0 && low <= high, "\(key): \(ratio)")
        }
        for kind in ["baselineMedians", "protocolMedians"] {
            let figures = try #require(object[kind] as? [String: Any])
            let throughput = try #require(figures["throughputMBps"] as? [String: Any])
            let median = try #require(throughput["median"] as? Double), low = try #require(throughput["min"] as? Double)
            let high = try #require(throughput["max"] as? Double)
            #expect(low <= median && median <= high, "\(kind): \(throughput)")
        }
        #if os(Linux)
        #expect((object["loadAverageAtStart"] as? [Double])?.count == 3, "\(object.keys)")
        #expect((object["loadAverageAtEnd"] as? [Double])?.count == 3)
        #endif
    }

    @Test func pacedBaselineAgainstALossyProtocolPrintsTheRatiosAsText() async throws {
        let result = try await ChildProcess.run(
            [
                "bench", "--baseline", "--rounds", "1", "--mode", "paced", "--rate", "2000", "--messages", "600", "--warmup", "100",
                "--loss", "0.1", "--seed", "3",
            ],
            seconds: HangGuard.transferSeconds
        )
        #expect(result.status == 0, "\(result.error)")
        for text in ["round 1/1 baseline", "round 1/1 protocol", "protocol/baseline", "load average", "loss 10.00%", "no injected loss"] {
            #expect(result.output.contains(text), "no '\(text)' in:\n\(result.output)")
        }
    }

    @Test(arguments: [
        (["bench", "--baseline", "--compare-security"], "--compare-security"),
        (["bench", "--baseline", "--size", "1149"], "--size"),
        (["bench", "--baseline", "--rounds", "0"], "--rounds"),
        (["bench", "--rounds", "101"], "--rounds"),
        (["bench", "--baseline", "--receiver-on-event-loop"], "--receiver-on-event-loop"),
    ])
    func invalidBaselineOptionsAreRefusedWithExit64(arguments: [String], option: String) {
        let (status, message) = OptionRangeTests.parse(arguments)
        #expect(status == 64, "\(arguments): \(message)")
        #expect(message.contains(option), "\(arguments): \(message)")
    }

    @Test func theReceiverOnTheEventLoopTakesEveryMessageInOrder() async throws {
        // bench fails (exit 1) unless every message arrives exactly once and in order.
        let result = try await ChildProcess.run(
            ["bench", "--receiver-on-event-loop", "--messages", "2000", "--warmup", "300", "--loss", "0.05", "--json"],
            seconds: HangGuard.transferSeconds)
        #expect(result.status == 0, "\(result.error)")
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any], "not JSON: \(result.output)")
        #expect(object["messages"] as? Int == 2000)
        #expect((object["throughputMBps"] as? Double ?? 0) > 0, "\(object)")
    }

    @Test func largestBaselineSizeIsAccepted() {
        #expect(BenchCommand.baselineMaximumSize == 1148)
        let (status, message) = OptionRangeTests.parse(["bench", "--baseline", "--size", "1148", "--rounds", "100"])
        #expect(status == 0, "\(message)")
    }
}
