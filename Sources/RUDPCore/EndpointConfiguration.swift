/// Settings of an ``Endpoint``: the per-connection configuration plus endpoint-wide limits.
public struct EndpointConfiguration: Sendable {
    /// Applied to every connection of the endpoint.
    public var connection: ConnectionConfiguration
    /// Whether CONNECT packets from new peers create connections (a server).
    public var acceptsConnections: Bool
    /// Most connections at once; CONNECTs beyond it are dropped and counted. Default 10,000.
    public var maxConnections: Int = 10_000
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

    public init(connection: ConnectionConfiguration = ConnectionConfiguration(), acceptsConnections: Bool = false) {
        self.connection = connection
        self.acceptsConnections = acceptsConnections
    }
}

/// Counters of an ``Endpoint`` as a whole.
public struct EndpointStatistics: Sendable, Hashable {
    public var datagramsReceived = 0
    public var bytesReceived = 0
    public var datagramsSent = 0
    public var bytesSent = 0
    /// Datagrams that failed their checksum or did not parse.
    public var malformedDatagrams = 0
    /// Datagrams for a connection ID this endpoint does not have.
    public var unroutableDatagrams = 0
    public var connectionsAccepted = 0
    /// CONNECTs dropped because the endpoint does not accept connections or is at `maxConnections`.
    public var connectionsRefused = 0
    /// Secure endpoints: protected CONNECTs whose connect-key tag did not verify (a peer without
    /// the key, or corruption). No state was created and nothing was sent back.
    public var handshakeAuthenticationFailures = 0
    /// Secure servers: RETRY packets sent (stateless) to make a client prove its address.
    public var retriesSent = 0
    /// Secure servers: CONNECTs whose retry cookie was invalid (another address or connection
    /// ID, forged) or expired; answered with a new RETRY, no state created.
    public var invalidCookies = 0
    /// CONNECTs answered statelessly with a CLOSE reporting a security mismatch (security
    /// required, not configured, or another mode).
    public var securityMismatchesAnswered = 0
    /// Secure servers: valid CONNECTs for a connection that has already ended (replays), dropped
    /// without creating state or answering.
    public var replayedHandshakes = 0
    /// Stateless answers (RETRY, mismatch CLOSE) dropped because the answer queue was full.
    public var statelessAnswersDropped = 0
    /// Connections closed with CLOSE(resource limit) because the receive-memory budget was
    /// exhausted and they held the most (``EndpointConfiguration/receiveMemoryBudget``).
    public var connectionsClosedForMemory = 0
    public init() {}
}
