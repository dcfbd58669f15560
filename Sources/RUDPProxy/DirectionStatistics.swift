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

    /// How punctually the delay line releases datagrams: how long after its arrival time
    /// (delay, jitter, reordering, rate) each datagram actually left, as the event loop's timer
    /// woke up. This is the proxy's own timing error; it adds to the configured delay.
    public struct DelayLine: Sendable, Equatable, Codable {
        /// Datagrams released from the delay line.
        public var released = 0
        /// Sum of their lateness, in nanoseconds.
        public var totalLatenessNanoseconds: UInt64 = 0
        /// The largest lateness, in nanoseconds.
        public var maximumLatenessNanoseconds: UInt64 = 0

        /// Creates zeroed counters.
        public init() {}

        /// Mean lateness in milliseconds (0 if nothing was released).
        public var meanLatenessMilliseconds: Double {
            released > 0 ? Double(totalLatenessNanoseconds) / Double(released) / 1e6 : 0
        }

        /// The largest lateness in milliseconds.
        public var maximumLatenessMilliseconds: Double { Double(maximumLatenessNanoseconds) / 1e6 }

        mutating func record(lateness: UInt64) {
            released += 1
            totalLatenessNanoseconds &+= lateness
            maximumLatenessNanoseconds = max(maximumLatenessNanoseconds, lateness)
        }
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
    /// The delay line's punctuality.
    public var delayLine = DelayLine()
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
