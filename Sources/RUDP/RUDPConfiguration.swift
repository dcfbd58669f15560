import Logging
import Metrics
import RUDPCore
import RUDPSecurity

/// Settings of an ``RUDPServer`` or of a connection made with ``RUDPClient``.
///
/// ```swift
/// var configuration = RUDPConfiguration()
/// configuration.connection.maxMessageSize = 8 << 20   // accept messages up to 8 MiB
/// let server = try await RUDPServer.bind(port: 9000, configuration: configuration)
/// ```
///
/// The server limits (``maxConnections``, ``maxHalfOpenConnections``,
/// ``maxConnectionsPerAddress``, ``maxConnectionsPerPrefix``, the ``retryPolicy`` threshold) and
/// the endpoint's receive-memory budget apply to each worker of a multi-worker ``RUDPServer``
/// separately (``RUDPServer/bind(host:port:configuration:workers:)``); ``connection`` applies to
/// each connection.
public struct RUDPConfiguration: Sendable {
    /// Limits and timers applied to every connection.
    public var connection: ConnectionConfiguration = ConnectionConfiguration()
    /// Most connections a server holds at once, half-open ones included; when full, a new
    /// client evicts the oldest half-open connection, or is refused if there is none
    /// (`EndpointConfiguration.maxConnections`). Default 10,000. Per worker.
    public var maxConnections: Int = 10_000
    /// Most half-open connections (handshake not finished) a server holds; beyond it the oldest
    /// is evicted (`EndpointConfiguration.maxHalfOpenConnections`). Default 1,024. Per worker.
    public var maxHalfOpenConnections: Int = 1_024
    /// Most connections a server holds from one IP address, any port
    /// (`EndpointConfiguration.maxConnectionsPerAddress`). Default 1,024. Per worker (a
    /// host's clients are spread over the workers by their ports).
    public var maxConnectionsPerAddress: Int = 1_024
    /// Most connections a server holds from one IPv4 /24 or IPv6 /64 network
    /// (`EndpointConfiguration.maxConnectionsPerPrefix`). Default 4,096. Per worker.
    public var maxConnectionsPerPrefix: Int = 4_096
    /// When a server without packet security makes clients prove their address with a stateless
    /// RETRY (`EndpointConfiguration.retryPolicy`). Default `.whenHalfOpenExceeds(64)`.
    public var retryPolicy: RetryPolicy = .default
    // Test knobs: SPI, not public API (`@_spi(Testing) import RUDP` in the tests, `rudp bench`
    // and `rudp demo`); library code reads no environment variable for them, the CLI maps
    // RUDP_DISABLE_GSO / RUDP_DISABLE_GRO onto the offload switches.

    /// Loss injected on RECEIVED datagrams by a seeded generator (tests, demo, bench): 0...1.
    @_spi(Testing) public var receiveLoss: Double = 0
    /// Seed of the generator that decides which received datagrams ``receiveLoss`` drops.
    @_spi(Testing) public var lossSeed: UInt64 = 1
    /// Datagrams received before injected loss starts (bench warm-up). Default 0.
    @_spi(Testing) public var lossWarmupDatagrams: Int = 0
    /// Whether sends use UDP segmentation offload (GSO) where the kernel offers it. Default true;
    /// false to compare (`RUDP_DISABLE_GSO=1` in the CLI).
    @_spi(Testing) public var usesSegmentationOffload = true
    /// Whether sockets ask for UDP generic receive offload (GRO) where the kernel offers it
    /// (never the worker sockets of a multi-worker server). Default true; false to compare
    /// (`RUDP_DISABLE_GRO=1` in the CLI).
    @_spi(Testing) public var usesReceiveOffload = true
    /// Where connection events are logged (debug level per connection; nothing per packet above trace).
    public var logger: Logger = Logger(label: "rudp")
    /// Where the swift-metrics counters go; nil uses the process-wide `MetricsSystem.factory`.
    /// Counters: `rudp_datagrams_received`, `rudp_bytes_received`, `rudp_datagrams_sent`,
    /// `rudp_bytes_sent`, `rudp_retransmissions`, `rudp_connections_opened`,
    /// `rudp_connections_closed`, each with the dimension `role` (`client` or `server`).
    public var metricsFactory: (any MetricsFactory)? = nil
    /// Packet authentication or encryption with a pre-shared key (`Specs/SECURITY.md`); nil
    /// (the default) sends CRC-32C-checked packets in clear and makes no libsodium call per packet.
    public var security: SecurityConfiguration? = nil

    /// Whether a client gives up at once with ``RUDPError/Code/connectionRefused`` when the
    /// server's host answers CONNECT with ICMP port unreachable (nothing listens there). Off by
    /// default: the client keeps retrying until the connect timeout, so it may start before its
    /// server. When on, the client's socket is connected to the server's address so that such
    /// answers reach it: one during the handshake ends the connect, and one the socket reports
    /// on a write later (which closes the socket) ends the connection with the same error.
    public var failsWhenPortUnreachable = false

    /// The worker index the endpoint puts in the top 4 bits of the connection IDs it issues
    /// (0...15); set by a multi-worker ``RUDPServer`` for each of its workers.
    var workerIndex: UInt8 = 0

    /// Creates the default configuration.
    public init() {}

    /// Checks the values; returns an ``RUDPError/Code/invalidArgument`` error describing the first problem.
    func validated() throws(RUDPError) -> RUDPConfiguration {
        if let problem = connection.validate() {
            throw RUDPError(.invalidArgument, "invalid connection configuration: \(problem)")
        }
        if let problem = endpointConfiguration(acceptsConnections: true).validate() {
            throw RUDPError(.invalidArgument, "invalid configuration: \(problem)")
        }
        if !(0...1).contains(receiveLoss) {
            throw RUDPError(.invalidArgument, "receiveLoss must be between 0 and 1, got \(receiveLoss)")
        }
        if lossWarmupDatagrams < 0 {
            throw RUDPError(.invalidArgument, "lossWarmupDatagrams must not be negative, got \(lossWarmupDatagrams)")
        }
        if let security, security.mode == .none {
            throw RUDPError(.invalidArgument, "security mode 'none' with a key makes no sense: set security to nil for no protection")
        }
        if let security, security.cookieLifetime < 1_000_000 {
            throw RUDPError(
                .invalidArgument, "security.cookieLifetime must be at least 1 ms (in nanoseconds), got \(security.cookieLifetime)")
        }
        return self
    }

    /// The engine's configuration for a server (`acceptsConnections`) or client endpoint.
    func endpointConfiguration(acceptsConnections: Bool) -> EndpointConfiguration {
        var endpoint = EndpointConfiguration(connection: connection, acceptsConnections: acceptsConnections)
        endpoint.maxConnections = maxConnections
        endpoint.maxHalfOpenConnections = maxHalfOpenConnections
        endpoint.maxConnectionsPerAddress = maxConnectionsPerAddress
        endpoint.maxConnectionsPerPrefix = maxConnectionsPerPrefix
        endpoint.retryPolicy = retryPolicy
        endpoint.workerIndex = workerIndex
        return endpoint
    }
}
