/// Counters of an ``Endpoint`` as a whole.
public struct EndpointStatistics: Sendable, Hashable {
    /// Datagrams handed to `handle(datagram:from:at:)`, valid or not.
    public var datagramsReceived = 0
    /// Bytes of the datagrams received (UDP payload).
    public var bytesReceived = 0
    /// Datagrams returned by `pollTransmit` (a segmented transmit counts each segment).
    public var datagramsSent = 0
    /// Bytes of the datagrams sent (UDP payload).
    public var bytesSent = 0
    /// Datagrams that failed their checksum or did not parse.
    public var malformedDatagrams = 0
    /// Datagrams for a connection ID this endpoint does not have.
    public var unroutableDatagrams = 0
    /// Connections a server created from a CONNECT (counted when created, before the handshake completes).
    public var connectionsAccepted = 0
    /// CONNECTs that could have created a connection but were refused: the endpoint does not
    /// accept connections, or a limit was reached (the sum of the three counters below, plus
    /// CONNECTs to an endpoint that is not a server).
    public var connectionsRefused = 0
    /// Refused because ``EndpointConfiguration/maxConnections`` connections exist and none is half-open.
    public var refusedTableFull = 0
    /// Refused because the source host has ``EndpointConfiguration/maxConnectionsPerAddress`` connections.
    public var refusedAddressLimit = 0
    /// Refused because the source network has ``EndpointConfiguration/maxConnectionsPerPrefix`` connections.
    public var refusedPrefixLimit = 0
    /// Stateless CLOSE(refused) answers sent for refused CONNECTs.
    public var refusalsAnswered = 0
    /// Half-open connections dropped (silently) to make room for a new one.
    public var halfOpenEvicted = 0
    /// Secure endpoints: protected CONNECTs whose connect-key tag did not verify (a peer without
    /// the key, or corruption). No state was created and nothing was sent back.
    public var handshakeAuthenticationFailures = 0
    /// RETRY packets sent (stateless) to make a client prove its address.
    public var retriesSent = 0
    /// CONNECTs whose retry cookie was invalid (another address or connection ID, forged) or
    /// expired; answered with a new RETRY (when one is required), no state created.
    public var invalidCookies = 0
    /// CONNECTs answered statelessly with a CLOSE reporting a security mismatch (security
    /// required, not configured, or another mode).
    public var securityMismatchesAnswered = 0
    /// CONNECTs for a connection that has already ended (replays), dropped without creating
    /// state or answering.
    public var replayedHandshakes = 0
    /// Stateless answers (RETRY, CLOSE) not sent: the answer queue was full, or the answer would
    /// have been more than three times the datagram it answers.
    public var statelessAnswersDropped = 0
    /// Datagrams of connections not sent because their peer's address is not verified yet and
    /// they would have exceeded three times the bytes received from it (anti-amplification).
    public var amplificationLimited = 0
    /// Connections closed with CLOSE(resource limit) because the receive-memory budget was
    /// exhausted and they held the most (``EndpointConfiguration/receiveMemoryBudget``).
    public var connectionsClosedForMemory = 0
    /// Path validations started: a new, valid packet that was the largest so far came from an
    /// address other than its connection's (`Specs/PROTOCOL.md` section 7.4).
    public var pathValidationsStarted = 0
    /// Validations given up before they succeeded because the peer's newest packet came from
    /// the current address again, or from yet another address (which then became the
    /// candidate). Those abandoned after their last challenge are counted per connection
    /// (``ConnectionStatistics/pathValidationsAbandoned``).
    public var pathValidationsCancelled = 0
    /// Connections moved to a new peer address after a PATH_RESPONSE from it.
    public var pathMigrations = 0
    /// PATH_CHALLENGE datagrams sent to candidate addresses.
    /// PATH_CHALLENGE datagrams sent to validate a peer's new address (NAT rebinding).
    public var pathChallengesSent = 0
    /// PATH_CHALLENGE datagrams not sent because they would have exceeded three times the bytes
    /// received from the candidate address (anti-amplification).
    public var pathChallengesLimited = 0
    /// PATH_RESPONSEs that echoed a challenge but arrived from another address than the
    /// candidate's: they validate nothing (the challenge stays outstanding).
    public var pathResponsesFromOtherAddresses = 0
    /// All counters zero.
    public init() {}
}
