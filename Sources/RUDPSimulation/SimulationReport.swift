import RUDPCore
import RUDPImpairment

/// Everything needed to reproduce and understand a simulation run: the seed, the clock, and
/// every link's options and counters. Its description is meant for test failure messages.
///
/// ```swift
/// #expect(sink.received.count == 1000, "\(simulator.report)")
/// // seed 42 at t=2000.0ms, digest 3f1c…, unroutable 0, livelock deferrals 0
/// //   node0→node1: LinkOptions(delay: 10.0ms, …)
/// //     sent 1000 (…), delivered 893 (…), dropped 107 […], …
/// ```
public struct SimulationReport: Sendable, CustomStringConvertible {
    /// The simulator's seed.
    public var seed: UInt64
    /// The virtual time when the report was made.
    public var time: Timestamp
    /// Every link, with its options and counters, in connection order.
    public var links: [Link]
    /// Datagrams sent without a link.
    public var unroutableCount: Int
    /// Timers deferred by the livelock guard.
    public var livelockDeferrals: Int
    /// The trace digest at ``time``.
    public var traceDigest: UInt64

    /// Creates a report.
    public init(
        seed: UInt64, time: Timestamp, links: [Link], unroutableCount: Int, livelockDeferrals: Int,
        traceDigest: UInt64
    ) {
        self.seed = seed
        self.time = time
        self.links = links
        self.unroutableCount = unroutableCount
        self.livelockDeferrals = livelockDeferrals
        self.traceDigest = traceDigest
    }

    /// The seed, the time, then one block per link with its options and counters.
    public var description: String {
        var lines = [
            "seed \(seed) at \(time), digest \(hex(traceDigest)), unroutable \(unroutableCount), "
                + "livelock deferrals \(livelockDeferrals)"
        ]
        for link in links {
            lines.append("  \(link.source)→\(link.destination): \(link.options)")
            lines.append("    \(link.statistics)")
        }
        return lines.joined(separator: "\n")
    }
}

extension NetworkSimulator {
    /// A snapshot of the run for failure messages: seed, time, every link's options and counters.
    public var report: SimulationReport {
        SimulationReport(
            seed: seed, time: now, links: links, unroutableCount: unroutableCount,
            livelockDeferrals: livelockDeferrals, traceDigest: traceDigest)
    }

    /// A ``SimulationFailure`` carrying `message` and this run's ``report``, to throw from a
    /// test or a checker.
    public func failure(_ message: String) -> SimulationFailure {
        SimulationFailure(message, report: report)
    }
}
