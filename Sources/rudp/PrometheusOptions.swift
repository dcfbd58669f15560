import ArgumentParser
import Metrics
import Prometheus

/// `--metrics-port` and `--metrics-host`: serve the process's swift-metrics to Prometheus over
/// HTTP (`GET /metrics`), for `echo-server`, `recv` and `proxy`.
///
/// ```swift
/// @OptionGroup(title: "Prometheus") var prometheusOptions: PrometheusOptions
/// // at start, before any metric is made:
/// let exporter = prometheusOptions.bootstrap()
/// let endpoint = try await exporter?.start()
/// ```
struct PrometheusOptions: ParsableArguments {
    /// The metric names, listed in `--help` and the README.
    static let metricNames = """
        Metrics served: rudp_datagrams_received, rudp_bytes_received, rudp_datagrams_sent, \
        rudp_bytes_sent, rudp_retransmissions, rudp_connections_opened, rudp_connections_closed \
        (counters), rudp_connections_open (gauge), rudp_handshake_duration_seconds and \
        rudp_rtt_seconds (histograms; RTT per connection as it ends), each with role="server" or \
        "client"; and the command's own counters (rudp_cli_*).
        """

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Serve Prometheus metrics over HTTP on this TCP port: GET /metrics (0 picks a free port, printed at start).",
            valueName: "port"))
    var metricsPort: Int?

    @Option(help: ArgumentHelp("The address of the metrics endpoint (default: loopback only).", valueName: "host"))
    var metricsHost = "127.0.0.1"

    func validate() throws {
        if let metricsPort { try OptionCheck.count(metricsPort, "--metrics-port", in: 0...65_535) }
    }

    /// The Prometheus side of the process's metrics: its registry, and where to serve it.
    struct Exporter: Sendable {
        let registry: PrometheusCollectorRegistry
        let host: String
        let port: Int

        /// Starts the HTTP endpoint; `refresh` runs before each scrape.
        func start(refresh: (@Sendable () async -> Void)? = nil) async throws -> PrometheusEndpoint {
            try await PrometheusEndpoint.start(host: host, port: port, registry: registry, refresh: refresh)
        }
    }

    /// Bootstraps swift-metrics (once per process) with the in-process registry of `--metrics`
    /// and, with `--metrics-port`, a Prometheus registry beside it; returns that exporter.
    @discardableResult
    func bootstrap() -> Exporter? {
        guard let metricsPort else {
            MetricsRegistry.bootstrapOnce()
            return nil
        }
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Loopback round trips are tens of microseconds: finer buckets than the default 5 ms.
        let fine: [Duration] = [
            .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500),
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .seconds(2), .seconds(5),
        ]
        factory.durationHistogramBuckets["rudp_rtt_seconds"] = fine
        factory.durationHistogramBuckets["rudp_handshake_duration_seconds"] = fine
        MetricsRegistry.bootstrapOnce(alsoTo: factory)
        return Exporter(registry: registry, host: metricsHost, port: metricsPort)
    }
}
