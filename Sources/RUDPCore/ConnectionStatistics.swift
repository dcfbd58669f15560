/// Counters and estimates of one connection, for monitoring and benchmarks.
public struct ConnectionStatistics: Sendable, Hashable {
    /// Datagrams handed to the network.
    public var packetsSent = 0
    /// Bytes of the datagrams handed to the network (UDP payload: header, frames and trailer or tag).
    public var bytesSent = 0
    /// Datagrams accepted from the network (after parsing and deduplication).
    public var packetsReceived = 0
    /// Bytes of the datagrams accepted from the network (UDP payload).
    public var bytesReceived = 0
    /// Packets that repeated a packet number already received.
    public var duplicatePacketsDropped = 0
    /// Datagrams that failed to parse.
    public var malformedPacketsDropped = 0
    /// Ack-eliciting packets declared lost (by acknowledgements or by the retransmission timer).
    public var packetsLost = 0
    /// Packets acknowledged after they had been declared lost.
    public var spuriousLosses = 0
    /// Retransmission-timer expirations.
    public var retransmissionTimeouts = 0
    /// Messages accepted by `send`.
    public var messagesSent = 0
    /// Reliable messages the peer acknowledged completely.
    public var messagesAcknowledged = 0
    /// Reliable messages dropped because the connection ended first.
    public var messagesFailed = 0
    /// Messages delivered to the application.
    public var messagesDelivered = 0
    /// Message fragments transmitted again after a loss.
    public var fragmentsRetransmitted = 0
    /// Bytes of message payload transmitted again after a loss.
    public var bytesRetransmitted = 0
    /// Reliable message fragments received again after they had arrived (spurious retransmissions).
    public var duplicateFragmentsDropped = 0
    /// Unreliable messages dropped on receipt (reassembly budget, undelivered backlog, or no
    /// room left in the receive window).
    public var unreliableMessagesDropped = 0
    /// DATA packets dropped unrecorded because their MESSAGE frames could have taken the
    /// connection's receive memory past its limit, or the endpoint's past its budget (the peer
    /// sees a loss; `Specs/PROTOCOL.md` section 17.4).
    public var packetsDroppedForMemory = 0
    /// Secure connections: datagrams whose tag did not verify (forged, corrupted, wrong key or
    /// mode, or a protected packet before the keys were known). Dropped without any effect.
    public var authenticationFailures = 0
    /// Secure connections: datagrams whose packet number the replay window rejected (replays,
    /// duplicates, numbers too far behind). Dropped before any cryptography.
    public var replayedPacketsDropped = 0
    /// Secure connections: datagrams in clear (CRC-32C trailer) dropped unread; a CLOSE among
    /// them that reports a security mismatch is kept as ``Connection/handshakeDiagnostic``.
    public var unprotectedPacketsDropped = 0
    /// Client: valid RETRY packets received (each makes it send CONNECT with the cookie).
    public var retriesReceived = 0
    /// Plain client: RETRY packets in clear dropped unread: not Connecting any more, or with an
    /// empty cookie.
    public var plainRetriesDropped = 0
    /// Server: PATH_CHALLENGE packets built for a candidate address of the peer (section 7.4; the
    /// endpoint may still hold one back for anti-amplification).
    public var pathChallengesSent = 0
    /// Server: validations of a candidate address abandoned after the last challenge's wait.
    public var pathValidationsAbandoned = 0
    /// Server: validations that succeeded (the connection moved to the candidate address).
    public var pathValidationsSucceeded = 0
    /// PATH_CHALLENGE frames received (each owes a PATH_RESPONSE; only the newest is answered).
    public var pathChallengesReceived = 0
    /// PATH_RESPONSE frames sent.
    public var pathResponsesSent = 0
    /// PATH_RESPONSE frames that echoed no challenge of the validation under way (late, forged,
    /// or none under way): ignored.
    public var pathResponsesIgnored = 0
    /// Times the pacer held an ack-eliciting packet back (`Specs/PROTOCOL.md` section 15.2):
    /// each is a wait, of one or more polls, until the pacing timer or an acknowledgement.
    public var pacingDelays = 0
    /// Smoothed round-trip time in nanoseconds (RFC 6298), updated with each acknowledgement
    /// that carries an RTT sample; the initial estimate until the first one.
    public var smoothedRTT: UInt64 = 0
    /// Round-trip time variation in nanoseconds (RFC 6298's RTTVAR), updated with the smoothed RTT.
    public var rttVariation: UInt64 = 0
    /// The smallest round-trip time sampled so far, in nanoseconds; 0 before the first sample.
    public var minimumRTT: UInt64 = 0
    /// The current base retransmission timeout in nanoseconds (before exponential backoff),
    /// from the RTT estimates and clamped to the configured minimum and maximum.
    public var retransmissionTimeout: UInt64 = 0
    /// The congestion window in bytes: how much the sender may have in flight.
    public var congestionWindow = 0
    /// Bytes of ack-eliciting packets sent and neither acknowledged nor declared lost.
    public var bytesInFlight = 0
    /// Messages held in the send buffer: queued or sent and not yet acknowledged.
    public var sendBufferMessages = 0
    /// Bytes of the messages held in the send buffer (payload only).
    public var sendBufferBytes = 0
    /// Receive memory held: fragments of partial messages, reliable messages waiting for an
    /// earlier one, unreliable messages not yet taken, with bookkeeping (`Specs/PROTOCOL.md`
    /// section 17.4).
    public var receiveMemory = 0

    /// All counters zero (the engine fills them in; tests and sums start here).
    public init() {}

    /// The counters of `counters`, with the estimates zero (``ConnectionState/statistics`` fills them).
    init(counters c: ConnectionCounters) {
        packetsSent = c.packetsSent
        bytesSent = c.bytesSent
        packetsReceived = c.packetsReceived
        bytesReceived = c.bytesReceived
        duplicatePacketsDropped = c.duplicatePacketsDropped
        malformedPacketsDropped = c.malformedPacketsDropped
        packetsLost = c.packetsLost
        spuriousLosses = c.spuriousLosses
        retransmissionTimeouts = c.retransmissionTimeouts
        messagesSent = c.messagesSent
        messagesAcknowledged = c.messagesAcknowledged
        messagesFailed = c.messagesFailed
        messagesDelivered = c.messagesDelivered
        fragmentsRetransmitted = c.fragmentsRetransmitted
        bytesRetransmitted = c.bytesRetransmitted
        duplicateFragmentsDropped = c.duplicateFragmentsDropped
        unreliableMessagesDropped = c.unreliableMessagesDropped
        packetsDroppedForMemory = c.packetsDroppedForMemory
        authenticationFailures = c.authenticationFailures
        replayedPacketsDropped = c.replayedPacketsDropped
        unprotectedPacketsDropped = c.unprotectedPacketsDropped
        retriesReceived = c.retriesReceived
        plainRetriesDropped = c.plainRetriesDropped
        pathChallengesSent = c.pathChallengesSent
        pathValidationsAbandoned = c.pathValidationsAbandoned
        pathValidationsSucceeded = c.pathValidationsSucceeded
        pathChallengesReceived = c.pathChallengesReceived
        pathResponsesSent = c.pathResponsesSent
        pathResponsesIgnored = c.pathResponsesIgnored
        pacingDelays = c.pacingDelays
    }
}
