/// The counters of one direction of a ``UDPProxy``.
///
/// Every datagram received is, at any moment, either forwarded, dropped (one cause in
/// ``Drops``), or still held (delayed, in the bottleneck, waiting for a socket); duplication
/// adds copies. So `received + duplicated == forwarded + dropped.total + held` (see ``held``).
///
/// ```swift
/// let up = await proxy.statistics().up
/// print(up.received, up.forwarded, up.dropped.loss, up.lossRate)
/// ```
public struct DirectionStatistics: Sendable, Equatable, Codable {
    /// Why datagrams were dropped, one counter per cause.
    public struct Drops: Sendable, Equatable, Codable {
        /// Uniform random loss (`--loss`).
        public var loss = 0
        /// Gilbert-Elliott bursty loss (`--burst`).
        public var burst = 0
        /// The bottleneck queue in front of `--rate` was full (tail drop).
        public var queueFull = 0
        /// A partition was in force.
        public var partition = 0
        /// Larger than `--mtu`.
        public var mtu = 0
        /// The delay line (datagrams waiting for their arrival time) was full.
        public var delayLineFull = 0
        /// A new client was refused because the flow table was full (up only).
        public var flowLimit = 0
        /// The socket refused the datagram, or its flow had closed (e.g. an unreachable
        /// upstream), or the flow's socket was still opening and its small backlog was full.
        public var sendFailed = 0

        /// Creates zeroed counters.
        public init() {}

        /// All drops.
        public var total: Int { loss + burst + queueFull + partition + mtu + delayLineFull + flowLimit + sendFailed }
    }

    /// Datagrams read from the sockets of this direction.
    public var received = 0
    /// Bytes of ``received``.
    public var receivedBytes = 0
    /// Datagrams (copies included) written to the socket successfully.
    public var forwarded = 0
    /// Bytes of ``forwarded``.
    public var forwardedBytes = 0
    /// Datagrams dropped, by cause.
    public var dropped = Drops()
    /// Extra copies made by duplication.
    public var duplicated = 0
    /// Datagrams held back so that later ones overtake them.
    public var reordered = 0
    /// Datagrams whose bits were flipped.
    public var corrupted = 0
    /// Now: bytes in the bottleneck queue in front of the rate limit.
    public var queuedBytes = 0
    /// Now: datagrams (copies included) waiting for their arrival time, for a flow's socket to
    /// open, or for the socket to take them.
    public var held = 0

    /// Creates zeroed counters.
    public init() {}

    /// Dropped by loss and burst loss over received (0 if nothing was received).
    public var lossRate: Double {
        received > 0 ? Double(dropped.loss + dropped.burst) / Double(received) : 0
    }
}
