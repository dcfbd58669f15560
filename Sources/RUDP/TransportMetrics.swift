import Metrics

/// The swift-metrics counters of one endpoint, updated once per batch.
///
/// Labels: `rudp_datagrams_received`, `rudp_bytes_received`, `rudp_datagrams_sent`,
/// `rudp_bytes_sent`, `rudp_retransmissions` (fragments sent again), `rudp_connections_opened`,
/// `rudp_connections_closed` (counters); `rudp_connections_open` (a meter: connections open
/// now); `rudp_handshake_duration_seconds` (a timer: for a client, from `connect` to the end
/// of the handshake, retries included; for a server, from the client's first CONNECT to its
/// confirmation) and `rudp_rtt_seconds` (a timer: each connection's
/// smoothed round-trip time when it ends). Each has the dimension `role` = `client` or
/// `server`. Nothing is recorded per packet: counters per batch, timers once per connection.
final class TransportMetrics: Sendable {
    let datagramsReceived: Counter
    let bytesReceived: Counter
    let datagramsSent: Counter
    let bytesSent: Counter
    let retransmissions: Counter
    let connectionsOpened: Counter
    let connectionsClosed: Counter
    let connectionsOpen: Meter
    let handshakeDuration: Timer
    let roundTripTime: Timer

    init(role: EndpointDriver.Role, factory: (any MetricsFactory)?) {
        let dimensions = [("role", role == .server ? "server" : "client")]
        let factory = factory ?? MetricsSystem.factory
        datagramsReceived = Counter(label: "rudp_datagrams_received", dimensions: dimensions, factory: factory)
        bytesReceived = Counter(label: "rudp_bytes_received", dimensions: dimensions, factory: factory)
        datagramsSent = Counter(label: "rudp_datagrams_sent", dimensions: dimensions, factory: factory)
        bytesSent = Counter(label: "rudp_bytes_sent", dimensions: dimensions, factory: factory)
        retransmissions = Counter(label: "rudp_retransmissions", dimensions: dimensions, factory: factory)
        connectionsOpened = Counter(label: "rudp_connections_opened", dimensions: dimensions, factory: factory)
        connectionsClosed = Counter(label: "rudp_connections_closed", dimensions: dimensions, factory: factory)
        connectionsOpen = Meter(label: "rudp_connections_open", dimensions: dimensions, factory: factory)
        handshakeDuration = Timer(label: "rudp_handshake_duration_seconds", dimensions: dimensions, factory: factory)
        roundTripTime = Timer(label: "rudp_rtt_seconds", dimensions: dimensions, factory: factory)
    }

    /// Adds a batch's counts and resets them.
    func record(_ counts: inout BatchCounts) {
        if counts.datagramsReceived > 0 {
            datagramsReceived.increment(by: counts.datagramsReceived)
            bytesReceived.increment(by: counts.bytesReceived)
        }
        if counts.datagramsSent > 0 {
            datagramsSent.increment(by: counts.datagramsSent)
            bytesSent.increment(by: counts.bytesSent)
        }
        if counts.retransmissions > 0 { retransmissions.increment(by: counts.retransmissions) }
        counts = BatchCounts()
    }

    func connectionOpened() {
        connectionsOpened.increment()
        connectionsOpen.increment()
    }

    /// A connection ended; `smoothedRTT` (nanoseconds, 0 if never measured) goes to the RTT timer.
    func connectionClosed(smoothedRTT: UInt64) {
        connectionsClosed.increment()
        connectionsOpen.decrement()
        if smoothedRTT > 0 { roundTripTime.recordNanoseconds(Int64(clamping: smoothedRTT)) }
    }

    /// A handshake finished after `nanoseconds`.
    func handshakeCompleted(nanoseconds: UInt64) {
        if nanoseconds > 0 { handshakeDuration.recordNanoseconds(Int64(clamping: nanoseconds)) }
    }
}
