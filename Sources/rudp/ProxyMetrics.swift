import Metrics
import RUDPProxy
import Synchronization

/// The proxy's counters as swift-metrics, for `rudp proxy --metrics-port`: the proxy keeps
/// plain counters on its event loop (``ProxyStatistics``, no per-datagram metric call), and
/// each scrape adds what changed since the previous one.
///
/// Names (dimension `direction` = `up` or `down`): `rudp_proxy_datagrams_received`,
/// `rudp_proxy_bytes_received`, `rudp_proxy_datagrams_forwarded`, `rudp_proxy_bytes_forwarded`,
/// `rudp_proxy_datagrams_duplicated`, `rudp_proxy_datagrams_reordered`,
/// `rudp_proxy_datagrams_corrupted`, `rudp_proxy_datagrams_dropped` (also `reason` = loss, burst,
/// queue_full, partition, mtu, delay_line_full, flow_limit, send_failed); without dimensions
/// `rudp_proxy_flows_opened`, `rudp_proxy_flows_expired`, `rudp_proxy_flows_refused`,
/// `rudp_proxy_flows_rebound` (counters) and `rudp_proxy_flows_open` (gauge).
///
/// ```swift
/// let metrics = ProxyMetrics()
/// metrics.update(await proxy.statistics())   // before each scrape
/// ```
final class ProxyMetrics: Sendable {
    /// One counter fed from a running total.
    private struct Total: Sendable {
        let counter: Counter
        let value: @Sendable (ProxyStatistics) -> Int
    }

    private let totals: [Total]
    private let flowsOpen = Meter(label: "rudp_proxy_flows_open")
    private let last = Mutex<ProxyStatistics>(ProxyStatistics())

    init() {
        var totals: [Total] = []
        func add(_ label: String, _ dimensions: [(String, String)] = [], _ value: @escaping @Sendable (ProxyStatistics) -> Int) {
            totals.append(Total(counter: Counter(label: label, dimensions: dimensions), value: value))
        }
        let directions: [(String, @Sendable (ProxyStatistics) -> DirectionStatistics)] = [("up", { $0.up }), ("down", { $0.down })]
        for (name, direction) in directions {
            let d = [("direction", name)]
            add("rudp_proxy_datagrams_received", d) { direction($0).received }
            add("rudp_proxy_bytes_received", d) { direction($0).receivedBytes }
            add("rudp_proxy_datagrams_forwarded", d) { direction($0).forwarded }
            add("rudp_proxy_bytes_forwarded", d) { direction($0).forwardedBytes }
            add("rudp_proxy_datagrams_duplicated", d) { direction($0).duplicated }
            add("rudp_proxy_datagrams_reordered", d) { direction($0).reordered }
            add("rudp_proxy_datagrams_corrupted", d) { direction($0).corrupted }
            let reasons: [(String, @Sendable (DirectionStatistics.Drops) -> Int)] = [
                ("loss", { $0.loss }), ("burst", { $0.burst }), ("queue_full", { $0.queueFull }),
                ("partition", { $0.partition }), ("mtu", { $0.mtu }), ("delay_line_full", { $0.delayLineFull }),
                ("flow_limit", { $0.flowLimit }), ("send_failed", { $0.sendFailed }),
            ]
            for (reason, count) in reasons {
                add("rudp_proxy_datagrams_dropped", d + [("reason", reason)]) { count(direction($0).dropped) }
            }
        }
        add("rudp_proxy_flows_opened") { $0.flows.opened }
        add("rudp_proxy_flows_expired") { $0.flows.expired }
        add("rudp_proxy_flows_refused") { $0.flows.refused }
        add("rudp_proxy_flows_rebound") { $0.flows.rebound }
        self.totals = totals
    }

    /// Adds the growth of every counter since the last update and sets the gauge.
    func update(_ statistics: ProxyStatistics) {
        last.withLock { last in
            for total in totals {
                let grown = total.value(statistics) - total.value(last)
                if grown > 0 { total.counter.increment(by: grown) }
            }
            last = statistics
        }
        flowsOpen.set(statistics.flows.active)
    }
}
