/// The result of `rudp bench --compare-security`: plain and protected runs measured alternately,
/// their medians, and the protected/plain ratios, as text or JSON.
///
/// ```swift
/// let comparison = BenchComparison(protectedMode: "encrypted", plain: plainReports, protected: encryptedReports)
/// print(comparison.text())   // ... ratio encrypted/plain: throughput 0.83 ...
/// ```
struct BenchComparison: Codable, Sendable {
    /// Medians over the runs of one kind.
    struct Medians: Codable, Sendable {
        var throughputMBps: Double
        var latencyP50Ms: Double
        var latencyP99Ms: Double

        init(_ reports: [BenchReport]) {
            throughputMBps = BenchComparison.median(reports.map(\.throughputMBps))
            latencyP50Ms = BenchComparison.median(reports.map(\.latencyMs.p50))
            latencyP99Ms = BenchComparison.median(reports.map(\.latencyMs.p99))
        }
    }

    /// "authenticated" or "encrypted".
    var protectedMode: String
    /// Runs of each kind.
    var runs: Int
    /// Medians of the plain runs.
    var plainMedians: Medians
    /// Medians of the protected runs.
    var protectedMedians: Medians
    /// Median protected throughput divided by median plain throughput (1 = no cost).
    var throughputRatio: Double
    /// Median protected p50 latency divided by median plain p50 latency.
    var latencyP50Ratio: Double
    /// Every plain run, in the order measured.
    var plain: [BenchReport]
    /// Every protected run, in the order measured.
    var protected: [BenchReport]

    /// Summarizes the runs (medians and ratios are nan for a kind without runs).
    init(protectedMode: String, plain: [BenchReport], protected: [BenchReport]) {
        self.protectedMode = protectedMode
        self.runs = min(plain.count, protected.count)
        self.plain = plain
        self.protected = protected
        plainMedians = Medians(plain)
        protectedMedians = Medians(protected)
        throughputRatio = protectedMedians.throughputMBps / plainMedians.throughputMBps
        latencyP50Ratio = protectedMedians.latencyP50Ms / plainMedians.latencyP50Ms
    }

    /// The median (the mean of the middle two for an even count); nan for no values.
    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// One line per run, printed as the runs finish.
    static func runLine(_ report: BenchReport, index: Int, of runs: Int) -> String {
        let kind = (report.security == "none" ? "plain" : report.security).paddedRight(to: 13)
        return "run \(index)/\(runs) \(kind) \(Format.fixed(report.throughputMBps, digits: 2)) MB/s"
            + "  p50 \(Format.fixed(report.latencyMs.p50, digits: 3)) ms  p99 \(Format.fixed(report.latencyMs.p99, digits: 3)) ms"
    }

    /// Pretty-printed JSON with sorted keys.
    func json() throws -> String {
        try JSONText.encode(self)
    }

    /// The human-readable summary.
    func text() -> String {
        let setting =
            (plain.first ?? protected.first).map {
                "\($0.mode), \($0.messages) messages of \($0.messageSize) B, loss \(Format.fixed($0.loss * 100, digits: 2))%"
            } ?? "no runs"
        func line(_ name: String, _ medians: Medians) -> String {
            "\(name.paddedRight(to: 13)) median \(Format.fixed(medians.throughputMBps, digits: 2)) MB/s"
                + "  p50 \(Format.fixed(medians.latencyP50Ms, digits: 3)) ms  p99 \(Format.fixed(medians.latencyP99Ms, digits: 3)) ms"
        }
        return """
            rudp bench --compare-security: \(setting); \(runs) runs of each, alternating
            \(line("plain", plainMedians))
            \(line(protectedMode, protectedMedians))
            ratio \(protectedMode)/plain: throughput \(Format.fixed(throughputRatio, digits: 2)), p50 latency \(Format.fixed(latencyP50Ratio, digits: 2))
            """
    }
}
