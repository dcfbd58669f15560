import RUDP

/// The result of one raw-UDP baseline run of `rudp bench --baseline`: the bench's workload sent
/// as plain datagrams through the transport's sockets, batching and task bridges, without the
/// protocol (``RawDatagramPath``).
///
/// ```swift
/// let report = BaselineReport(...)
/// print(report.runLine(round: 1, of: 3))
/// ```
struct BaselineReport: Codable, Sendable {
    /// "bulk" or "paced".
    var mode: String
    /// Messages measured (after the warm-up).
    var messages: Int
    /// Bytes per message (one datagram each).
    var messageSize: Int
    /// Messages sent before measuring.
    var warmupMessages: Int
    /// Bulk: most messages sent but not yet read by the receiver. Nil in paced mode.
    var window: Int?
    /// Paced: messages per second. Nil in bulk mode.
    var rate: Double?
    /// From the first measured send to the last measured delivery.
    var durationSeconds: Double
    /// Measured payload bytes received per second, in MB/s (10^6 bytes).
    var throughputMBps: Double
    /// Measured messages received per second.
    var messagesPerSecond: Double
    /// One-way latency, send to delivery, of the measured messages received.
    var latencyMs: BenchReport.Latency
    /// Datagrams sent, warm-up included.
    var datagramsSent: Int
    /// Datagrams the receiving socket read.
    var datagramsReceived: Int
    /// Messages (warm-up included) that never arrived, or arrived out of order (then also in `messagesLate`).
    var messagesMissing: Int
    /// Messages that arrived after a later one (reordered or duplicated; not measured).
    var messagesLate: Int
    /// Whether runs of datagrams left as UDP GSO writes.
    var segmentationOffload: Bool

    /// One line per run, printed as the rounds go.
    func runLine(round: Int, of rounds: Int) -> String {
        "round \(round)/\(rounds) baseline  \(Format.fixed(throughputMBps, digits: 2)) MB/s"
            + "  p50 \(Format.fixed(latencyMs.p50, digits: 3)) ms  p99 \(Format.fixed(latencyMs.p99, digits: 3)) ms"
            + "  (datagrams sent \(datagramsSent), read \(datagramsReceived), missing \(messagesMissing))"
    }
}
