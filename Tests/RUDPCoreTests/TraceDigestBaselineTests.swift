import Foundation
import RUDPCore
import RUDPExperiments
import RUDPSimulation
import Testing

/// Writes the trace digest of every seeded scenario of the simulation suite to a file, so that a
/// refactoring of the engine can be checked for unchanged behaviour run by run:
/// `RUDP_DIGEST_FILE=/tmp/before.txt swift test --filter TraceDigestBaseline`, then the same after
/// the change, then `diff`. A deliberate behaviour change (pacing, say) shows as changed digests;
/// `RUDP_DIGEST_SEEDS` sets how many seeds (default 2,000, the suite's).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["RUDP_DIGEST_FILE"] != nil))
struct TraceDigestBaselineTests {
    @Test func writeDigests() throws {
        let environment = ProcessInfo.processInfo.environment
        let path = environment["RUDP_DIGEST_FILE"]!
        let count = Int(environment["RUDP_DIGEST_SEEDS"] ?? "") ?? 2000
        var lines: [String] = []
        for seed in 1...UInt64(count) {
            let outcome = ExchangeScenario.run(.random(seed: seed))
            let c = outcome.clientStatistics, s = outcome.serverStatistics
            lines.append(
                "\(seed) \(String(outcome.traceDigest, radix: 16)) \(outcome.endTime.nanoseconds) "
                    + "c:\(c.packetsSent)/\(c.packetsLost)/\(c.fragmentsRetransmitted) s:\(s.packetsSent)/\(s.packetsLost) "
                    + "\(outcome.violations.count)")
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }
}
