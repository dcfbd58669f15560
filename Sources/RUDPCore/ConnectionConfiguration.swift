import RUDPWire

/// Tunable limits and timers of one connection. The defaults suit a LAN as well as a WAN.
///
/// ```swift
/// var config = ConnectionConfiguration()
/// config.minimumRTO = .milliseconds(50)      // a slower, jittery network
/// config.maxMessageSize = 8 << 20            // accept messages up to 8 MiB
/// ```
public struct ConnectionConfiguration: Sendable {
    /// Largest UDP payload this endpoint sends or accepts. Packets to the peer are limited to the
    /// smaller of this and the peer's announced value. Default 1200 bytes.
    public var maxDatagramSize: Int = 1200
    /// Largest message accepted from the peer or from the application. Default 1 MiB.
    public var maxMessageSize: Int = 1 << 20
    /// Flow-control window: reliable message bytes the peer may have outstanding here beyond what
    /// the application has taken. Must be at least `maxMessageSize`. Default 4 MiB.
    public var receiveWindow: Int = 4 << 20
    /// Number of independent channels (0 ..< channelCount). Default 8.
    public var channelCount: UInt8 = 8
    /// How far ahead of the oldest unacknowledged reliable message on a channel the peer may send.
    public var messageWindow: UInt16 = 8192
    /// Longest time an acknowledgement is held back. Default 5 ms.
    public var maxAckDelay: Duration = .milliseconds(5)
    /// Retransmission timeout before any RTT sample, and the handshake's first retry. Default 250 ms.
    public var initialRTO: Duration = .milliseconds(250)
    /// Lower bound of the retransmission timeout. Default 1 ms (a timer expiry only sends probes, so a low floor is cheap; RFC 6298's 1 s suits neither LAN nor games).
    public var minimumRTO: Duration = .milliseconds(1)
    /// Upper bound of the retransmission timeout, including backoff. Default 60 s.
    public var maximumRTO: Duration = .seconds(60)
    /// How long a client retries CONNECT (and a server waits for the client's first DATA). Default 10 s.
    public var connectTimeout: Duration = .seconds(10)
    /// Close the connection when nothing was received for this long. Default 30 s.
    public var idleTimeout: Duration = .seconds(30)
    /// Close the connection with CLOSE(application idle) when no message was sent or received for
    /// this long: the application handed no message to ``Connection/send(_:channel:mode:)-(ByteBuffer,_,_)``, no new
    /// message data went out for the first time and none arrived. Keep-alive PINGs and
    /// acknowledgements do not count, so a peer that only answers keep-alives cannot hold the
    /// connection (and a server's slot) forever. nil (the default) disables the limit.
    public var applicationIdleTimeout: Duration? = nil
    /// Send a PING when nothing ack-eliciting was sent for this long; nil disables. Default 5 s.
    public var keepAliveInterval: Duration? = .seconds(5)
    /// Declare the peer unreachable when outstanding data saw no acknowledgement for this long. Default 10 s.
    public var peerTimeout: Duration = .seconds(10)
    /// Pace ack-eliciting packets (`Specs/PROTOCOL.md` section 15.2): send at 5/4 × congestion
    /// window / smoothed RTT with a burst allowance of 10 to 256 datagrams (window × 2 ms / SRTT),
    /// instead of everything the window allows at once. On a path with an RTT of 2 ms or less
    /// (loopback, a LAN) it seldom holds anything back (only while host stalls inflate the
    /// SRTT). Default true; false is for experiments (compare queueing delay and loss at a
    /// bottleneck with and without it).
    public var pacing = true
    /// Server: most PATH_CHALLENGEs sent to one candidate address before its validation is
    /// abandoned (`Specs/PROTOCOL.md` section 7.4). The first goes at once, each further one after
    /// max(RTO, initial RTO), doubled for every earlier challenge; the validation is abandoned
    /// when the wait after the last one ends. Default 3 (1.75 s in all with the default 250 ms
    /// initial RTO). 1 to 16.
    public var pathChallengeAttempts: Int = 3
    /// Most bytes of messages held in the send buffer (unsent or unacknowledged). Default 8 MiB.
    public var sendBufferBytes: Int = 8 << 20
    /// Most messages held in the send buffer. Default 16,384.
    public var sendBufferMessages: Int = 16_384
    /// Most bytes spent reassembling unreliable messages; the oldest partial message is evicted first. Default 2 MiB.
    public var unreliableReassemblyBytes: Int = 2 << 20
    /// Most bytes of delivered unreliable messages waiting for the application; newer ones are dropped beyond it. Default 4 MiB.
    public var unreliableDeliveryBytes: Int = 4 << 20
    /// Creates the congestion controller for a connection, given the maximum datagram size.
    public var congestionControllerFactory: @Sendable (Int) -> any CongestionController = {
        WestwoodCongestionController(maxDatagramSize: $0)
    }
    /// First message sequence number on every channel. Both endpoints must use the same value;
    /// only useful to test sequence wraparound. Default 0.
    public var initialMessageSequence: UInt32 = 0

    /// The defaults listed with each property; change them before the connection is made.
    public init() {}

    /// Checks the values against each other; returns a description of the first problem.
    public func validate() -> String? {
        if maxDatagramSize < Int(TransportParameters.minimumDatagramSize) || maxDatagramSize > Packet.maximumDatagramSize {
            return "maxDatagramSize must be between \(TransportParameters.minimumDatagramSize) and \(Packet.maximumDatagramSize)"
        }
        if maxMessageSize < 0 || maxMessageSize > Int(UInt32.max) { return "maxMessageSize must fit in 32 bits" }
        if receiveWindow < maxMessageSize { return "receiveWindow must be at least maxMessageSize" }
        if channelCount == 0 { return "channelCount must be at least 1" }
        if messageWindow == 0 { return "messageWindow must be at least 1" }
        if minimumRTO > maximumRTO { return "minimumRTO must not exceed maximumRTO" }
        if minimumRTO <= .zero { return "minimumRTO must be positive" }
        if sendBufferBytes < maxMessageSize { return "sendBufferBytes must be at least maxMessageSize" }
        if sendBufferMessages < 1 { return "sendBufferMessages must be at least 1" }
        if maxAckDelay > .milliseconds(65) { return "maxAckDelay must be at most 65 ms" }
        if let limit = applicationIdleTimeout, limit <= .zero { return "applicationIdleTimeout must be positive (or nil)" }
        if !(1...16).contains(pathChallengeAttempts) { return "pathChallengeAttempts must be between 1 and 16" }
        return nil
    }

    /// The parameters announced to the peer in CONNECT or ACCEPT.
    func transportParameters(source: ConnectionID) -> TransportParameters {
        TransportParameters(
            sourceConnectionID: source,
            maxDatagramSize: UInt16(maxDatagramSize),
            maxMessageSize: UInt32(maxMessageSize),
            initialMaxData: UInt64(receiveWindow),
            channelCount: channelCount,
            messageWindow: messageWindow,
            maxAckDelayMicroseconds: UInt16(maxAckDelay.nanosecondsClamped / 1000)
        )
    }
}
