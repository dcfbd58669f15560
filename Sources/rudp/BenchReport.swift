import RUDP

/// The result of one `rudp bench` run, printed as text or as JSON (`--json`).
///
/// ```swift
/// let report = BenchReport(...)
/// print(try report.json())
/// ```
struct BenchReport: Codable, Sendable {
    /// One-way latency percentiles, in milliseconds.
    struct Latency: Codable, Sendable {
        var p50: Double
        var p90: Double
        var p99: Double
        var max: Double
        var mean: Double
    }

    /// Counters of one side's connection.
    struct ConnectionCounters: Codable, Sendable {
        var packetsSent: Int
        var packetsReceived: Int
        var packetsLost: Int
        var spuriousLosses: Int
        var fragmentsRetransmitted: Int
        var retransmissionTimeouts: Int
        var duplicatePacketsDropped: Int
        var smoothedRTTMs: Double
        var congestionWindow: Int
        /// Times the pacer held a packet back (`Specs/PROTOCOL.md` 15.2); optional so that
        /// reports written before it still decode.
        var pacingDelays: Int?

        init(_ statistics: ConnectionStatistics) {
            packetsSent = statistics.packetsSent
            packetsReceived = statistics.packetsReceived
            packetsLost = statistics.packetsLost
            spuriousLosses = statistics.spuriousLosses
            fragmentsRetransmitted = statistics.fragmentsRetransmitted
            retransmissionTimeouts = statistics.retransmissionTimeouts
            duplicatePacketsDropped = statistics.duplicatePacketsDropped
            smoothedRTTMs = Double(statistics.smoothedRTT) / 1e6
            congestionWindow = statistics.congestionWindow
            pacingDelays = statistics.pacingDelays
        }
    }

    /// "bulk" or "paced".
    var mode: String
    /// How both endpoints protected their packets: "none", "authenticated" or "encrypted".
    var security: String
    /// Messages measured (after the warm-up).
    var messages: Int
    /// Bytes per message.
    var messageSize: Int
    /// Messages sent before measuring (the message receiver drops none of them).
    var warmupMessages: Int
    /// Fraction of received datagrams dropped on each endpoint (by the message receiver only after the warm-up).
    var loss: Double
    /// Seed of the loss generators.
    var seed: UInt64
    /// Bulk: most messages unacknowledged at once. Nil in paced mode.
    var window: Int?
    /// Paced: messages per second. Nil in bulk mode.
    var rate: Double?
    /// From the first measured send to the last measured delivery.
    var durationSeconds: Double
    /// Measured payload bytes per second, in MB/s (10^6 bytes).
    var throughputMBps: Double
    /// Measured messages per second.
    var messagesPerSecond: Double
    /// One-way latency, send to delivery.
    var latencyMs: Latency
    /// The sending connection's counters.
    var sender: ConnectionCounters
    /// The receiving connection's counters.
    var receiver: ConnectionCounters
    /// Datagrams the receiving endpoint dropped by injected loss.
    var receiverInjectedDrops: Int

    /// Pretty-printed JSON with sorted keys.
    func json() throws -> String {
        try JSONText.encode(self)
    }

    /// The human-readable summary.
    func text() -> String {
        let windowOrRate =
            window.map { "at most \($0) unacknowledged" } ?? rate.map { "paced at \(Format.fixed($0, digits: 0)) messages/s" } ?? ""
        func counters(_ c: ConnectionCounters) -> String {
            "packets sent \(c.packetsSent), received \(c.packetsReceived), declared lost \(c.packetsLost) (spurious \(c.spuriousLosses)), fragments retransmitted \(c.fragmentsRetransmitted), RTOs \(c.retransmissionTimeouts), duplicates dropped \(c.duplicatePacketsDropped), srtt \(Format.fixed(c.smoothedRTTMs, digits: 3)) ms, cwnd \(c.congestionWindow) B, pacing delays \(c.pacingDelays ?? 0)"
        }
        return """
            rudp bench: \(mode), security \(security), \(messages) messages of \(messageSize) B after \(warmupMessages) warm-up, loss \(Format.fixed(loss * 100, digits: 2))% of received datagrams on each endpoint (seed \(seed)), \(windowOrRate)
            throughput  \(Format.fixed(throughputMBps, digits: 2)) MB/s  (\(Format.fixed(messagesPerSecond, digits: 0)) messages/s, \(Format.fixed(durationSeconds, digits: 3)) s)
            latency ms  p50 \(Format.fixed(latencyMs.p50, digits: 3))  p90 \(Format.fixed(latencyMs.p90, digits: 3))  p99 \(Format.fixed(latencyMs.p99, digits: 3))  max \(Format.fixed(latencyMs.max, digits: 3))  (mean \(Format.fixed(latencyMs.mean, digits: 3)))
            sender      \(counters(sender))
            receiver    \(counters(receiver)), injected drops \(receiverInjectedDrops)
            """
    }
}
