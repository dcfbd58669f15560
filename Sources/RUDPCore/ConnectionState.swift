import DequeModule
import NIOCore
import RUDPWire

/// The whole state of one connection, as a value: every transition is a `mutating` method, so
/// exclusive access is checked by the compiler, not at run time (swift-nio's `StateMachine`
/// style). ``Connection`` owns one and forwards to it, so each call costs one dynamic access.
///
/// The state is split by concern into the structs it holds (quinn-proto's `connection/`):
/// ``ConnectionPhase`` (the lifecycle, with the handshake and closing data valid in each
/// phase), ``TimerTable`` (every deadline), ``SentPacketStore`` and ``LossDetection`` (what was
/// sent, RTT, retransmission), ``CongestionControl`` and ``Pacer``, ``SendQueue`` and
/// ``FlowControl`` (what is to be sent and what may be), ``ReceiveState`` (packets received,
/// acknowledgements owed), ``ReceiveBuffers`` (messages being reassembled or waiting), and
/// ``PathValidation``. Packets are written by ``PacketBuilder``. The extensions in
/// `ConnectionState+*.swift` hold the transitions: receiving, transmitting, acknowledgements and
/// loss, timers, closing.
///
/// Time is integer nanoseconds throughout (``Timestamp``); durations of the configuration were
/// converted once (``ConnectionSettings``).
struct ConnectionState {
    let role: Connection.Role
    /// The connection ID this side receives on.
    let localID: ConnectionID
    /// The connection ID the peer receives on (``ConnectionID/none`` until the client has the ACCEPT).
    var peerID: ConnectionID
    /// The configuration, shared with the endpoint's other connections.
    let settings: ConnectionSettings
    var config: ConnectionConfiguration {
        _read { yield settings.configuration }
    }

    var phase: ConnectionPhase
    /// The application asked for a graceful close (it completes once the queue is drained).
    var closeRequested = false

    // The peer's parameters and what follows from them.
    var peerParameters: TransportParameters?
    /// The negotiated maximum datagram size: the smaller of ours and the peer's.
    var maxDatagramSize: Int
    /// The fragment size of new messages (`Specs/PROTOCOL.md` section 13.3).
    var fragmentSize: Int
    /// The peer's max_ack_delay in nanoseconds (0 until known).
    var peerMaxAckDelay: UInt64 = 0

    // Times, in nanoseconds.
    let createdAt: UInt64
    var lastReceiveTime: UInt64
    var lastAckElicitingSentTime: UInt64
    /// When a message was last sent or received (``ConnectionConfiguration/applicationIdleTimeout``).
    var lastApplicationActivity: UInt64
    /// The application queued a message since the last call with a time: it counts as activity then.
    var applicationActivityPending = false

    // Security (nil and a CRC trailer for a connection without packet security).
    let handshakeSecurity: (any HandshakeSecurity)?
    var protection: (any PacketProtection)?
    let packetFlags: PacketFlags
    /// Bytes after the packet: the CRC-32C trailer, or the protection's tag.
    var trailerSize: Int

    // Sending and loss recovery.
    var nextPacketNumber: UInt64 = 0
    var sent = SentPacketStore()
    var bytesInFlight = 0
    var recovery: LossDetection
    var congestion: CongestionControl
    var pacer = Pacer()
    var pingPending = false
    /// A packet that carried this side's CLOSE was acknowledged.
    var closeAcknowledged = false

    // The send queue and flow control.
    var sendQueue: SendQueue
    var flow: FlowControl
    /// A send was refused for a full buffer: signal ``ConnectionEvent/writable`` once there is room.
    var writableWanted = false
    /// The smallest message refused since the last ``ConnectionEvent/writable``: the signal waits
    /// until a message of this size fits, so a caller that retries on it is not refused again.
    var writableSize = 0

    // Receiving.
    var receive = ReceiveState()
    var buffers = ReceiveBuffers()
    /// Set on the keep-alive deadline, cleared by any message sent or received: buffers that
    /// empty while it is set give their storage back.
    var isIdle = false

    // Path validation (section 7.4): the server's challenges to a candidate address, and the
    // answer owed to the peer's challenge.
    var pathValidation = PathValidation()
    /// What the last datagram handed in did, for the endpoint's address bookkeeping.
    var lastReceive = ReceiveOutcome()

    var events: Deque<ConnectionEvent> = []
    var stats = ConnectionCounters()
    /// Every deadline of the connection.
    var timers = TimerTable()

    // MARK: - Creation

    private init(
        role: Connection.Role, settings: ConnectionSettings, localID: ConnectionID, peerID: ConnectionID,
        phase: ConnectionPhase, security: (any HandshakeSecurity)?, protection: (any PacketProtection)?, at now: Timestamp
    ) {
        let config = settings.configuration
        precondition(config.validate() == nil, "invalid ConnectionConfiguration: \(config.validate() ?? "")")
        self.role = role
        self.settings = settings
        self.localID = localID
        self.peerID = peerID
        self.phase = phase
        handshakeSecurity = security
        self.protection = protection
        packetFlags = security?.flags ?? .plain
        trailerSize = protection?.overhead ?? Datagram.trailerSize
        createdAt = now.nanoseconds
        lastReceiveTime = now.nanoseconds
        lastAckElicitingSentTime = now.nanoseconds
        lastApplicationActivity = now.nanoseconds
        recovery = LossDetection(
            rtt: RTTEstimator(
                initialRTO: settings.initialRTO, minimumRTO: settings.minimumRTO,
                maximumRTO: settings.maximumRTO), at: now.nanoseconds)
        congestion = CongestionControl(config.congestionControllerFactory(config.maxDatagramSize))
        sendQueue = SendQueue(initialSequence: settings.initialMessageSequence)
        flow = FlowControl(window: settings.receiveWindow)
        maxDatagramSize = settings.maxDatagramSize
        fragmentSize = 0
        updatePacketSizes()
        armIdle()
    }

    /// A client connection that will send CONNECT on the first ``pollTransmit(at:)``.
    static func client(
        settings: ConnectionSettings, localID: ConnectionID, at now: Timestamp,
        security: (any HandshakeSecurity)?
    ) -> ConnectionState {
        let handshake = ClientHandshake(clientRandom: security?.nextRandom() ?? [])
        var state = ConnectionState(
            role: .client, settings: settings, localID: localID, peerID: .none,
            phase: .connecting(handshake), security: security, protection: nil, at: now)
        state.timers[.handshakeRetransmit] = now.adding(nanoseconds: state.recovery.rtt.rto(peerMaxAckDelay: 0)).nanoseconds
        return state
    }

    /// A server connection answering a CONNECT whose parameters are `connect` (with `protection`
    /// and `serverRandom` when it was a verified secure CONNECT).
    static func server(
        settings: ConnectionSettings, localID: ConnectionID, connect: TransportParameters, at now: Timestamp,
        security: (any HandshakeSecurity)?, protection: (any PacketProtection)?, serverRandom: [UInt8]
    ) -> ConnectionState {
        var state = ConnectionState(
            role: .server, settings: settings, localID: localID, peerID: connect.sourceConnectionID,
            phase: .accepting(ServerHandshake(serverRandom: serverRandom)), security: security,
            protection: protection, at: now)
        state.adoptPeerParameters(connect)
        return state
    }

    // MARK: - Getters

    /// A snapshot of the counters and estimates.
    var statistics: ConnectionStatistics {
        var s = ConnectionStatistics(counters: stats)
        let rtt = recovery.rtt
        s.smoothedRTT = rtt.smoothed ?? 0
        s.rttVariation = rtt.variation
        s.minimumRTT = rtt.minimum == .max ? 0 : rtt.minimum
        s.retransmissionTimeout = rto
        s.congestionWindow = congestion.window
        s.bytesInFlight = bytesInFlight
        s.sendBufferMessages = sendQueue.count
        s.sendBufferBytes = sendQueue.bufferedBytes
        s.receiveMemory = buffers.memory
        return s
    }

    /// Why the connection closed, once it has.
    var closeReason: CloseReason? {
        if case .closed(let reason) = phase { return reason }
        return nil
    }

    /// ``closeReason``, or the reason the connection will finish with once its final CLOSE has been sent.
    var endingReason: CloseReason? {
        switch phase {
        case .closed(let reason): return reason
        case .draining(let draining): return draining.reason
        default: return nil
        }
    }

    /// Secure client, Connecting: the CLOSE in clear kept as a diagnostic.
    var handshakeDiagnostic: CloseFrame? {
        if case .connecting(let handshake) = phase { return handshake.diagnostic }
        return nil
    }

    /// The base retransmission timeout with the peer's max_ack_delay.
    var rto: UInt64 { recovery.rtt.rto(peerMaxAckDelay: peerMaxAckDelay) }

    /// The credit limit this side announces (released + window).
    var localMaxData: UInt64 { flow.localMaxData }

    /// The receive memory above which DATA packets are refused unless they carry a channel's
    /// next message: the window plus half again for bookkeeping (`Specs/PROTOCOL.md` 17.4).
    var receiveMemoryLimit: Int { settings.receiveWindow + settings.receiveWindow / 2 }

    /// The receive memory the connection never exceeds: three times the window.
    var receiveMemoryCeiling: Int { 3 * settings.receiveWindow }

    /// Whether the send queue refuses a message of `size` bytes (buffer full).
    private func sendQueueIsFull(adding size: Int) -> Bool {
        sendQueue.count >= config.sendBufferMessages || sendQueue.bufferedBytes + size > config.sendBufferBytes
            || sendQueue.span >= Self.maximumSpanFactor * config.sendBufferMessages
    }

    /// The message ring holds at most this many times the send buffer's message limit of IDs
    /// (messages acknowledged out of order leave holes until the oldest is released).
    static let maximumSpanFactor = 4

    // MARK: - Application commands

    mutating func send(_ message: ByteBuffer, channel: UInt8, mode: DeliveryMode) throws(SendError) -> MessageID {
        switch phase {
        case .closing, .draining, .closed: throw .connectionClosed
        default: break
        }
        if closeRequested { throw .connectionClosed }
        let channelCount = min(settings.channelCount, peerParameters?.channelCount ?? settings.channelCount)
        if channel >= channelCount { throw .invalidChannel(channel, channelCount: channelCount) }
        let limit = min(settings.maxMessageSize, Int(peerParameters?.maxMessageSize ?? UInt32(settings.maxMessageSize)))
        let size = message.readableBytes
        if size > limit { throw .messageTooLarge(size: size, limit: limit) }
        if sendQueueIsFull(adding: size) {
            writableSize = writableWanted ? min(writableSize, size) : size
            writableWanted = true
            throw .sendBufferFull
        }
        stats.messagesSent += 1
        isIdle = false
        applicationActivityPending = true
        return sendQueue.enqueue(message, channel: channel, mode: mode)
    }

    mutating func close(at now: Timestamp) {
        switch phase {
        case .connecting, .accepting:
            // Finish the handshake and deliver what is queued first (bounded by the connect timeout).
            closeRequested = true
        case .established:
            closeRequested = true
            armApplicationIdle()
            startClosingIfDrained(at: now)
        case .closing, .draining, .closed:
            break
        }
    }

    mutating func abort(at now: Timestamp, with frame: CloseFrame) {
        switch phase {
        case .connecting, .accepting:
            finish(.aborted)
        case .established, .closing:
            sendFinalClose(frame, then: .aborted)
        case .draining, .closed:
            break
        }
    }

    // MARK: - Events and credit

    mutating func pollEvent() -> ConnectionEvent? {
        events.popFirst()
    }

    mutating func releaseCredit(_ message: ReceivedMessage) {
        let size = message.buffer.readableBytes
        buffers.pool?.recycle(message.buffer)
        if message.mode.isReliable {
            flow.release(size)
        } else {
            buffers.undeliveredUnreliableBytes = max(0, buffers.undeliveredUnreliableBytes - size)
            let released = min(buffers.undeliveredUnreliableMemory, size + ReceiveMemory.overhead)
            if released > 0 {
                buffers.undeliveredUnreliableMemory -= released
                buffers.adjust(by: -released)
            }
        }
    }

    /// Dates a message the application queued (``send(_:channel:mode:)-(ByteBuffer,_,_)`` has no time) at the
    /// next call that has one.
    mutating func noteApplicationActivity(at now: Timestamp) {
        if applicationActivityPending {
            applicationActivityPending = false
            lastApplicationActivity = now.nanoseconds
            armApplicationIdle()
        }
    }

    // MARK: - Peer parameters

    mutating func adoptPeerParameters(_ params: TransportParameters) {
        peerParameters = params
        flow.peerMaxData = max(flow.peerMaxData, params.initialMaxData)
        peerMaxAckDelay = UInt64(params.maxAckDelayMicroseconds) * 1000
        updatePacketSizes()
        if maxDatagramSize < settings.maxDatagramSize {
            // Nothing was sent under the old size yet: size the windows for the negotiated one.
            congestion = CongestionControl(config.congestionControllerFactory(maxDatagramSize))
        }
        armRetransmission()
    }

    /// The negotiated datagram size and the fragment size that follows from it and the trailer:
    /// a full MESSAGE frame plus the control reserve fits every data packet.
    mutating func updatePacketSizes() {
        maxDatagramSize = min(settings.maxDatagramSize, Int(peerParameters?.maxDatagramSize ?? UInt16(settings.maxDatagramSize)))
        fragmentSize = maxDatagramSize - Packet.headerSize - trailerSize - FrameSize.messageOverhead - FrameSize.controlReserve
    }

    // MARK: - Idle buffers

    /// Gives the storage of empty buffers back (they grow again on demand).
    mutating func shrinkIdleBuffers() {
        sent.shrinkIfEmpty()
        if events.isEmpty { events = [] }
        sendQueue.shrinkIfEmpty()
        receive.tracker.shrinkIfEmpty()
        buffers.shrinkIfEmpty()
    }
}
