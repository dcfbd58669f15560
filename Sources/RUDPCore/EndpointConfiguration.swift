/// Settings of an ``Endpoint``: the per-connection configuration plus endpoint-wide limits.
///
/// The connection limits of a server (`Specs/PROTOCOL.md` section 17.4) are chosen so that a
/// flood of spoofed CONNECTs cannot lock clients out and one host cannot take the whole table,
/// while many clients behind one NAT address still get in:
///
/// ```swift
/// var configuration = EndpointConfiguration(acceptsConnections: true)
/// configuration.maxConnections = 50_000
/// configuration.maxConnectionsPerAddress = 5_000   // a large carrier-grade NAT in front
/// configuration.retryPolicy = .always
/// ```
public struct EndpointConfiguration: Sendable {
    /// Applied to every connection of the endpoint.
    public var connection: ConnectionConfiguration
    /// Whether CONNECT packets from new peers create connections (a server).
    public var acceptsConnections: Bool
    /// Most connections at once, half-open ones included. When it is reached, a CONNECT that may
    /// create a connection evicts the oldest half-open one if there is any, and is refused
    /// otherwise, so established connections are never more than this. Default 10,000.
    public var maxConnections: Int = 10_000
    /// Most half-open (Accepting) connections at once. When it is reached, a CONNECT that may
    /// create a connection evicts the oldest half-open one (silently, counted in
    /// ``EndpointStatistics/halfOpenEvicted``) so that new clients still get in. A genuine
    /// client needs its half-open connection for one round trip. Default 1,024.
    public var maxHalfOpenConnections: Int = 1_024
    /// Most connections (any state) from one host: one IP address, whatever the port. Beyond it
    /// CONNECTs are refused (counted). Default 1,024: one host cannot take the whole table,
    /// and a thousand clients behind one NAT address still get in.
    public var maxConnectionsPerAddress: Int = 1_024
    /// Most connections (any state) from one network: an IPv4 /24 or an IPv6 /64 (see
    /// ``PeerAddress/prefixKey``). Beyond it CONNECTs are refused (counted). Default 4,096.
    /// An IPv6 host usually owns a whole /64, so for IPv6 this is the per-host limit in practice.
    public var maxConnectionsPerPrefix: Int = 4_096
    /// When a plain server answers a CONNECT with a stateless RETRY instead of creating state.
    /// Secure servers always do. Default ``RetryPolicy/default`` (`.whenHalfOpenExceeds(64)`).
    public var retryPolicy: RetryPolicy = .default
    /// How long a plain server's retry cookie stays valid. Default 10 s.
    public var cookieLifetime: Duration = .seconds(10)
    /// Whether a refused CONNECT (a full table, or a host or network at its limit) is answered with
    /// a stateless CLOSE(refused), so that the client fails at once instead of timing out. The
    /// answer is smaller than the CONNECT. Default true.
    public var answersRefusedConnects = true
    /// How many ended handshakes (peer address and client connection ID) a server remembers, so
    /// that a replayed CONNECT of a connection that has ended creates nothing. Default 4,096.
    public var endedHandshakeMemory: Int = 4_096
    /// The worker index carried in clear in the top 4 bits of every connection ID this endpoint
    /// chooses (0...15), for a server whose sockets are served by several workers. Default 0.
    public var workerIndex: UInt8 = 0
    /// Most receive memory all the endpoint's connections may hold together: fragments of
    /// messages being reassembled, reliable messages waiting for an earlier one, and unreliable
    /// messages not yet taken, with bookkeeping (`Specs/PROTOCOL.md` section 17.4). Before a
    /// datagram's MESSAGE frames are processed, if what they could add would exceed it, the
    /// endpoint closes the connection holding the most with CLOSE(resource limit), counted in
    /// ``EndpointStatistics/connectionsClosedForMemory``, until it fits; if that connection is the
    /// one receiving, its datagram is dropped unprocessed.
    ///
    /// The budget is per `Endpoint`: a server that runs one endpoint per worker has one budget
    /// per worker. Default 128 MiB: 32 connections with their whole default 4 MiB window in
    /// flight and out of order at once. Messages delivered in order are never held here (they
    /// belong to the application, within flow control), so honest connections only hold what
    /// loss and reordering keep back, about their bandwidth-delay product each; an endpoint
    /// holding more is being flooded.
    public var receiveMemoryBudget: Int = 128 << 20

    /// Settings for a client (`acceptsConnections` false) or a server (true) endpoint.
    public init(connection: ConnectionConfiguration = ConnectionConfiguration(), acceptsConnections: Bool = false) {
        self.connection = connection
        self.acceptsConnections = acceptsConnections
    }

    /// Checks the values against each other; returns a description of the first problem.
    public func validate() -> String? {
        if let problem = connection.validate() { return problem }
        if maxConnections < 1 { return "maxConnections must be at least 1" }
        if maxHalfOpenConnections < 1 { return "maxHalfOpenConnections must be at least 1" }
        if maxConnectionsPerAddress < 1 { return "maxConnectionsPerAddress must be at least 1" }
        if maxConnectionsPerPrefix < 1 { return "maxConnectionsPerPrefix must be at least 1" }
        if case .whenHalfOpenExceeds(let n) = retryPolicy, n < 0 { return "the retry policy's threshold must not be negative" }
        if cookieLifetime <= .zero { return "cookieLifetime must be positive" }
        if endedHandshakeMemory < 0 { return "endedHandshakeMemory must not be negative" }
        if workerIndex > 15 { return "workerIndex must be between 0 and 15" }
        if receiveMemoryBudget < 0 { return "receiveMemoryBudget must not be negative" }
        return nil
    }
}
