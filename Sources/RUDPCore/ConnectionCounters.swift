/// The counters of one connection (the stored part of ``ConnectionStatistics``): a connection
/// keeps these, and ``ConnectionState/statistics`` adds the estimates (RTT, window, buffers)
/// when asked. Keeping the whole public struct stored cost nine always-zero words (72 bytes) of
/// every connection's state. The field names are those of ``ConnectionStatistics``.
struct ConnectionCounters {
    /// Datagrams handed to the network, and their bytes.
    var packetsSent = 0
    var bytesSent = 0
    /// Datagrams accepted from the network (after parsing and deduplication), and their bytes.
    var packetsReceived = 0
    var bytesReceived = 0
    /// Packets that repeated a packet number already received.
    var duplicatePacketsDropped = 0
    /// Datagrams that failed to parse.
    var malformedPacketsDropped = 0
    /// Ack-eliciting packets declared lost (by acknowledgements or by the retransmission timer).
    var packetsLost = 0
    /// Packets acknowledged after they had been declared lost.
    var spuriousLosses = 0
    /// Retransmission-timer expirations.
    var retransmissionTimeouts = 0
    /// Messages accepted by `send`.
    var messagesSent = 0
    /// Reliable messages the peer acknowledged completely.
    var messagesAcknowledged = 0
    /// Reliable messages dropped because the connection ended first.
    var messagesFailed = 0
    /// Messages delivered to the application.
    var messagesDelivered = 0
    /// Message fragments transmitted again after a loss.
    var fragmentsRetransmitted = 0
    /// Bytes of message payload transmitted again after a loss.
    var bytesRetransmitted = 0
    /// Reliable message fragments received again after they had arrived (spurious retransmissions).
    var duplicateFragmentsDropped = 0
    /// Unreliable messages dropped on receipt (reassembly budget, undelivered backlog, or no
    /// room left in the receive window).
    var unreliableMessagesDropped = 0
    /// DATA packets dropped unrecorded because their MESSAGE frames could have taken the
    /// connection's receive memory past its limit, or the endpoint's past its budget (the peer
    /// sees a loss; `Specs/PROTOCOL.md` section 17.4).
    var packetsDroppedForMemory = 0
    /// Secure connections: datagrams whose tag did not verify (forged, corrupted, wrong key or
    /// mode, or a protected packet before the keys were known). Dropped without any effect.
    var authenticationFailures = 0
    /// Secure connections: datagrams whose packet number the replay window rejected (replays,
    /// duplicates, numbers too far behind). Dropped before any cryptography.
    var replayedPacketsDropped = 0
    /// Secure connections: datagrams in clear (CRC-32C trailer) dropped unread; a CLOSE among
    /// them that reports a security mismatch is kept as ``Connection/handshakeDiagnostic``.
    var unprotectedPacketsDropped = 0
    /// Client: valid RETRY packets received (each makes it send CONNECT with the cookie).
    var retriesReceived = 0
    /// Plain client: RETRY packets in clear dropped unread: not Connecting any more, or with an
    /// empty cookie.
    var plainRetriesDropped = 0
    /// Server: PATH_CHALLENGE packets built for a candidate address of the peer (section 7.4; the
    /// endpoint may still hold one back for anti-amplification).
    var pathChallengesSent = 0
    /// Server: validations of a candidate address abandoned after the last challenge's wait.
    var pathValidationsAbandoned = 0
    /// Server: validations that succeeded (the connection moved to the candidate address).
    var pathValidationsSucceeded = 0
    /// PATH_CHALLENGE frames received (each owes a PATH_RESPONSE; only the newest is answered).
    var pathChallengesReceived = 0
    /// PATH_RESPONSE frames sent.
    var pathResponsesSent = 0
    /// PATH_RESPONSE frames that echoed no challenge of the validation under way (late, forged,
    /// or none under way): ignored.
    var pathResponsesIgnored = 0
    /// Times the pacer held an ack-eliciting packet back (`Specs/PROTOCOL.md` section 15.2):
    /// each is a wait, of one or more polls, until the pacing timer or an acknowledgement.
    var pacingDelays = 0
}
