import Foundation

/// A snapshot of a ``UDPProxy``'s counters: one ``DirectionStatistics`` per direction and
/// the flow table's.
///
/// ```swift
/// let statistics = await proxy.statistics()
/// print(statistics)              // human-readable, several lines
/// print(statistics.jsonLine())   // one JSON object
/// ```
public struct ProxyStatistics: Sendable, Equatable, Codable, CustomStringConvertible {
    /// The flow table's counters.
    public struct Flows: Sendable, Equatable, Codable {
        /// Flows open now.
        public var active = 0
        /// Flows opened since the start.
        public var opened = 0
        /// Flows closed after being idle for the idle timeout.
        public var expired = 0
        /// Flows closed because their socket failed.
        public var failed = 0
        /// Datagrams from new clients refused because the table was full.
        public var refused = 0
        /// Errors reported by upstream sockets, e.g. "connection refused" when nothing listens
        /// on the upstream port (an ICMP port unreachable).
        public var upstreamErrors = 0
        /// Upstream sockets replaced by a new one (a new source port towards the upstream) by
        /// ``UDPProxy/rebind(_:)`` or the control command `rebind`, counted once the new socket is open.
        public var rebound = 0

        /// Creates zeroed counters.
        public init() {}
    }

    /// Seconds since the proxy started.
    public var uptime: Double = 0
    /// From clients to the upstream.
    public var up = DirectionStatistics()
    /// From the upstream back to clients.
    public var down = DirectionStatistics()
    /// The flow table.
    public var flows = Flows()

    /// Creates zeroed counters.
    public init() {}

    /// The counters of `direction`.
    public subscript(direction: ProxyDirection) -> DirectionStatistics {
        direction == .up ? up : down
    }

    /// The snapshot as one line of JSON (keys sorted), without a trailing newline.
    public func jsonLine() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(self) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// Several lines for people: one per direction, one for the flows.
    public var description: String {
        func line(_ name: String, _ s: DirectionStatistics) -> String {
            let d = s.dropped
            let drops =
                "dropped \(d.total) [loss \(d.loss), burst \(d.burst), queue \(d.queueFull), "
                + "partition \(d.partition), mtu \(d.mtu), delay-line \(d.delayLineFull), "
                + "flow-limit \(d.flowLimit), send \(d.sendFailed)]"
            let lateness = String(
                format: "delay-line lateness mean %.3f ms, max %.3f ms",
                s.delayLine.meanLatenessMilliseconds, s.delayLine.maximumLatenessMilliseconds)
            return "\(name) received \(s.received) (\(s.receivedBytes) B), forwarded \(s.forwarded) "
                + "(\(s.forwardedBytes) B), \(drops), duplicated \(s.duplicated), reordered \(s.reordered), "
                + "corrupted \(s.corrupted), queued \(s.queuedBytes) B, held \(s.held), \(lateness)"
        }
        let uptimeText = String(format: "%.1f", uptime)
        return "uptime \(uptimeText) s\n" + line("up:  ", up) + "\n" + line("down:", down) + "\n"
            + "flows: active \(flows.active), opened \(flows.opened), expired \(flows.expired), "
            + "failed \(flows.failed), refused \(flows.refused), upstream errors \(flows.upstreamErrors), rebound \(flows.rebound)"
    }
}
