import RUDPCore
import RUDPSimulation

/// The measured quantities every rendering shows, in one place, so the table, CSV and JSON
/// agree on names and units.
struct ExperimentMetric: Sendable {
    /// Column name in CSV and key in JSON.
    var key: String
    /// Column heading in the terminal table (nil: not in the table).
    var heading: String?
    /// The value as a number (nil when not applicable).
    var value: @Sendable (ExperimentResult) -> Double?
    /// Decimals in the table.
    var digits: Int

    static let all: [ExperimentMetric] = [
        .init(key: "goodput_mbps", heading: "goodput Mbit/s", value: { $0.goodput * 8 / 1e6 }, digits: 3),
        .init(key: "link_share", heading: "of link", value: { $0.capacityShare.map { $0 * 100 } }, digits: 1),
        .init(key: "bound_mbps", heading: "(1-loss)×rate", value: { $0.bound.map { $0 * 8 / 1e6 } }, digits: 3),
        .init(key: "header_bound_mbps", heading: nil, value: { $0.headerBound.map { $0 * 8 / 1e6 } }, digits: 3),
        .init(key: "latency_p50_ms", heading: "p50 ms", value: { $0.latencyP50.map { Double($0) / 1e6 } }, digits: 1),
        .init(key: "latency_p99_ms", heading: "p99 ms", value: { $0.latencyP99.map { Double($0) / 1e6 } }, digits: 1),
        .init(key: "latency_max_ms", heading: "max ms", value: { $0.latencyMax.map { Double($0) / 1e6 } }, digits: 1),
        .init(key: "latency_mean_ms", heading: nil, value: { $0.latencyMean.map { $0 / 1e6 } }, digits: 1),
        .init(key: "retransmissions", heading: "retx", value: { Double($0.retransmittedFragments) }, digits: 0),
        .init(key: "retransmission_ratio", heading: "retx/msg", value: { $0.retransmissionRatio }, digits: 4),
        .init(key: "retransmitted_bytes", heading: nil, value: { Double($0.retransmittedBytes) }, digits: 0),
        .init(key: "spurious_retransmissions", heading: "spurious", value: { Double($0.duplicateFragments) }, digits: 0),
        .init(key: "spurious_losses", heading: nil, value: { Double($0.spuriousLosses) }, digits: 0),
        .init(key: "packets_lost", heading: nil, value: { Double($0.packetsLost) }, digits: 0),
        .init(key: "retransmission_timeouts", heading: nil, value: { Double($0.retransmissionTimeouts) }, digits: 0),
        .init(key: "overhead_bytes", heading: "overhead B", value: { Double($0.overheadBytes) }, digits: 0),
        .init(key: "overhead_ratio", heading: "ovh/payload", value: { $0.overheadRatio }, digits: 3),
        .init(key: "messages_offered", heading: nil, value: { Double($0.messagesOffered) }, digits: 0),
        .init(key: "messages_accepted", heading: nil, value: { Double($0.messagesAccepted) }, digits: 0),
        .init(key: "messages_refused", heading: nil, value: { Double($0.messagesRefused) }, digits: 0),
        .init(key: "messages_delivered", heading: "delivered", value: { Double($0.messagesDelivered) }, digits: 0),
        .init(key: "payload_bytes_delivered", heading: nil, value: { Double($0.payloadBytesDelivered) }, digits: 0),
        .init(key: "sender_wire_bytes", heading: nil, value: { Double($0.senderWireBytes) }, digits: 0),
        .init(key: "receiver_wire_bytes", heading: nil, value: { Double($0.receiverWireBytes) }, digits: 0),
        .init(key: "window_s", heading: nil, value: { Double($0.window.nanosecondsClamped) / 1e9 }, digits: 3),
        .init(key: "handshake_ms", heading: nil, value: { $0.handshakeTime.map { Double($0.nanosecondsClamped) / 1e6 } }, digits: 3),
        .init(key: "end_time_s", heading: nil, value: { Double($0.endTime.nanosecondsClamped) / 1e9 }, digits: 3),
        .init(key: "forward_dropped", heading: nil, value: { Double($0.forwardLink.dropped) }, digits: 0),
        .init(key: "forward_dropped_by_queue", heading: nil, value: { Double($0.forwardLink.droppedByQueue) }, digits: 0),
        .init(key: "backward_dropped", heading: nil, value: { Double($0.backwardLink.dropped) }, digits: 0),
    ]
}
