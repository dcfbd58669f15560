import Logging

/// Everything a ``UDPProxy`` needs besides its two addresses: the impairments of each
/// direction, the seed of their random decisions, and the limits of its tables and queues.
///
/// ```swift
/// var configuration = ProxyConfiguration(impairments: .init(both: Impairments(loss: 0.1)), seed: 7)
/// configuration.idleTimeout = .seconds(30)
/// configuration.maximumFlows = 256
/// let proxy = try await UDPProxy.start(listen: listenAddress, upstream: serverAddress,
///                                      configuration: configuration)
/// ```
public struct ProxyConfiguration: Sendable {
    /// Impairments at start; change them later with ``UDPProxy/update(up:down:)``.
    public var impairments: ProxyImpairments
    /// The seed of every random decision: each direction draws from its own stream derived
    /// from it, so the same seed and the same sequence of datagrams give the same decisions.
    public var seed: UInt64
    /// A flow (client address) that has neither sent nor received anything for this long is
    /// closed, and its upstream socket with it.
    public var idleTimeout: Duration
    /// The most flows (client addresses) open at once; datagrams from further new clients are
    /// dropped and counted (``ProxyStatistics/Flows/refused``) until a flow expires.
    public var maximumFlows: Int
    /// The most datagrams, per direction, waiting for their arrival time (delay, jitter,
    /// reordering, rate); more are dropped (``DirectionStatistics/Drops/delayLineFull``).
    public var delayLineCapacity: Int
    /// The most bytes, per direction, waiting for their arrival time.
    public var delayLineByteCapacity: Int
    /// Datagrams a new flow holds while its upstream socket opens; more are dropped.
    public var flowBacklogCapacity: Int
    /// `SO_RCVBUF` and `SO_SNDBUF` of the listening socket and of each flow's upstream socket,
    /// in bytes (the kernel caps it at `net.core.rmem_max`; it only uses what is queued).
    public var socketBufferSize: Int
    /// Where the proxy logs faults (unreachable upstream, full tables and queues), at most
    /// once a second per kind of fault.
    public var logger: Logger

    /// Creates a configuration; the defaults suit tests and interactive use.
    public init(
        impairments: ProxyImpairments = .none,
        seed: UInt64 = 1,
        idleTimeout: Duration = .seconds(60),
        maximumFlows: Int = 1024,
        delayLineCapacity: Int = 100_000,
        delayLineByteCapacity: Int = 64 * 1024 * 1024,
        flowBacklogCapacity: Int = 256,
        socketBufferSize: Int = 4 * 1024 * 1024,
        logger: Logger = Logger(label: "rudp.proxy")
    ) {
        self.impairments = impairments
        self.seed = seed
        self.idleTimeout = idleTimeout
        self.maximumFlows = maximumFlows
        self.delayLineCapacity = delayLineCapacity
        self.delayLineByteCapacity = delayLineByteCapacity
        self.flowBacklogCapacity = flowBacklogCapacity
        self.socketBufferSize = socketBufferSize
        self.logger = logger
    }

    /// Throws ``ProxyError/invalidConfiguration(_:)`` or ``ProxyError/invalidImpairment(_:)-(String)``
    /// for the first value out of range.
    public func validate() throws(ProxyError) {
        try impairments.validate()
        guard idleTimeout > .zero else {
            throw .invalidConfiguration("idle timeout must be positive, got \(idleTimeout)")
        }
        guard maximumFlows >= 1 else {
            throw .invalidConfiguration("maximum flows must be at least 1, got \(maximumFlows)")
        }
        guard delayLineCapacity >= 1, delayLineByteCapacity >= 65_536 else {
            throw .invalidConfiguration(
                "the delay line must hold at least 1 datagram and 64 KiB, got \(delayLineCapacity) and \(delayLineByteCapacity) B")
        }
        guard flowBacklogCapacity >= 0 else {
            throw .invalidConfiguration("flow backlog capacity must not be negative, got \(flowBacklogCapacity)")
        }
        guard socketBufferSize >= 0 else {
            throw .invalidConfiguration("socket buffer size must not be negative, got \(socketBufferSize)")
        }
    }
}
