/// The result of `rudp bench --baseline`: raw-UDP baseline runs and protocol runs measured
/// alternately in one invocation, the median and spread (min to max) of each figure, and the
/// protocol/baseline ratios, as text or JSON.
///
/// The ratio of a figure is the protocol's median divided by the baseline's median; its spread
/// is the smallest and largest ratio of one round's two runs. Throughput ratios below 1 and
/// latency ratios above 1 are what the protocol costs. A lossy protocol run is compared with
/// the loss-free baseline (raw datagrams cannot be retransmitted).
///
/// ```swift
/// let comparison = BaselineComparison(baseline: baselineRuns, protocol: protocolRuns, loadAverageAtStart: start, loadAverageAtEnd: end)
/// print(comparison.text())   // ... protocol/baseline  0.45 (0.41-0.50) ...
/// ```
struct BaselineComparison: Codable, Sendable {
    /// A median and the range of the values it came from.
    struct Spread: Codable, Sendable {
        var median: Double
        var min: Double
        var max: Double

        init(_ values: [Double]) {
            median = BenchComparison.median(values)
            min = values.min() ?? .nan
            max = values.max() ?? .nan
        }

        /// "612.33 (600.10-620.00)".
        func text(digits: Int) -> String {
            "\(Format.fixed(median, digits: digits)) (\(Format.fixed(min, digits: digits))-\(Format.fixed(max, digits: digits)))"
        }
    }

    /// Throughput and latency of one kind of run over the rounds.
    struct Figures: Codable, Sendable {
        var throughputMBps: Spread
        var latencyP50Ms: Spread
        var latencyP99Ms: Spread
    }

    /// A protocol/baseline ratio: of the medians, and the smallest and largest of the rounds.
    struct Ratio: Codable, Sendable {
        var ofMedians: Double
        var roundsMin: Double
        var roundsMax: Double

        init(protocol protocolValues: [Double], baseline baselineValues: [Double]) {
            ofMedians = BenchComparison.median(protocolValues) / BenchComparison.median(baselineValues)
            let perRound = zip(protocolValues, baselineValues).map { $0 / $1 }
            roundsMin = perRound.min() ?? .nan
            roundsMax = perRound.max() ?? .nan
        }

        /// "0.45 (0.41-0.50)".
        func text() -> String {
            "\(Format.fixed(ofMedians, digits: 2)) (\(Format.fixed(roundsMin, digits: 2))-\(Format.fixed(roundsMax, digits: 2)))"
        }
    }

    /// The protocol/baseline ratios.
    struct Ratios: Codable, Sendable {
        var throughput: Ratio
        var latencyP50: Ratio
        var latencyP99: Ratio
    }

    /// "bulk" or "paced".
    var mode: String
    /// Messages measured per run, bytes per message, warm-up messages per run.
    var messages: Int
    var messageSize: Int
    var warmupMessages: Int
    /// The protocol runs' injected loss (the baseline runs have none) and its seed.
    var loss: Double
    var seed: UInt64
    /// The protocol runs' security mode: "none", "authenticated" or "encrypted".
    var security: String
    /// Rounds: each one baseline and one protocol run, the order alternating.
    var rounds: Int
    /// `/proc/loadavg`'s 1, 5 and 15 minute averages before the first run and after the last.
    var loadAverageAtStart: [Double]?
    var loadAverageAtEnd: [Double]?
    var baselineMedians: Figures
    var protocolMedians: Figures
    /// Protocol divided by baseline.
    var ratios: Ratios
    /// Every run, in round order.
    var baseline: [BaselineReport]
    var `protocol`: [BenchReport]

    init(baseline: [BaselineReport], protocol protocolRuns: [BenchReport], loadAverageAtStart: [Double]?, loadAverageAtEnd: [Double]?) {
        let first = protocolRuns.first
        mode = first?.mode ?? baseline.first?.mode ?? ""
        messages = first?.messages ?? 0
        messageSize = first?.messageSize ?? 0
        warmupMessages = first?.warmupMessages ?? 0
        loss = first?.loss ?? 0
        seed = first?.seed ?? 0
        security = first?.security ?? "none"
        rounds = min(baseline.count, protocolRuns.count)
        self.loadAverageAtStart = loadAverageAtStart
        self.loadAverageAtEnd = loadAverageAtEnd
        self.baseline = baseline
        self.protocol = protocolRuns
        let b = (throughput: baseline.map(\.throughputMBps), p50: baseline.map(\.latencyMs.p50), p99: baseline.map(\.latencyMs.p99))
        let p = (
            throughput: protocolRuns.map(\.throughputMBps), p50: protocolRuns.map(\.latencyMs.p50), p99: protocolRuns.map(\.latencyMs.p99)
        )
        baselineMedians = Figures(throughputMBps: Spread(b.throughput), latencyP50Ms: Spread(b.p50), latencyP99Ms: Spread(b.p99))
        protocolMedians = Figures(throughputMBps: Spread(p.throughput), latencyP50Ms: Spread(p.p50), latencyP99Ms: Spread(p.p99))
        ratios = Ratios(
            throughput: Ratio(protocol: p.throughput, baseline: b.throughput),
            latencyP50: Ratio(protocol: p.p50, baseline: b.p50),
            latencyP99: Ratio(protocol: p.p99, baseline: b.p99))
    }

    /// Pretty-printed JSON with sorted keys.
    func json() throws -> String {
        try JSONText.encode(self)
    }

    /// The human-readable summary.
    func text() -> String {
        let budget =
            baseline.first.flatMap { report in
                report.window.map { "at most \($0) unacknowledged" }
                    ?? report.rate.map { "paced at \(Format.fixed($0, digits: 0)) messages/s" }
            } ?? ""
        func column(_ text: String) -> String { text.paddedRight(to: 28) }
        func line(_ name: String, _ figures: Figures) -> String {
            name.paddedRight(to: 19) + column(figures.throughputMBps.text(digits: 2))
                + column(figures.latencyP50Ms.text(digits: 3)) + figures.latencyP99Ms.text(digits: 3)
        }
        let missing = baseline.reduce(0) { $0 + $1.messagesMissing }
        return """
            rudp bench --baseline: \(mode), \(messages) messages of \(messageSize) B after \(warmupMessages) warm-up, \(budget); \(Format.count(rounds, "round")), alternating
            protocol: loss \(Format.fixed(loss * 100, digits: 2))% of received datagrams on each endpoint (seed \(seed)), security \(security)
            baseline: raw UDP datagrams through the same sockets, batching and task bridges, no protocol, no injected loss\(missing > 0 ? " (\(missing) datagrams missing)" : "")
            median (min-max)   throughput MB/s             p50 ms                      p99 ms
            \(line("baseline", baselineMedians))
            \(line("protocol", protocolMedians))
            \("protocol/baseline".paddedRight(to: 19) + column(ratios.throughput.text()) + column(ratios.latencyP50.text()) + ratios.latencyP99.text())
            load average \(LoadAverage.text(loadAverageAtStart)) at the start, \(LoadAverage.text(loadAverageAtEnd)) at the end
            """
    }
}
