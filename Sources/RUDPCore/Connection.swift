import DequeModule
import RUDPWire

/// One reliable connection: a sans-IO state machine with no sockets, no clock and no global state.
///
/// ## Contract
/// The methods fall into four kinds, after quinn-proto's `Connection`:
/// - **Input from the network and the clock**: ``handle(datagram:at:)`` for every datagram
///   routed to this connection, ``handleTimeout(at:)`` once ``nextDeadline()`` has passed.
/// - **Application commands**: ``send(_:channel:mode:)``, ``close(at:)``, ``abort(at:)``.
/// - **Output, polled in this order after every input or command**: ``pollTransmit(at:)`` until it
///   returns nil (each call yields at most one datagram for the peer), then ``pollEvent()`` until
///   nil, then ``nextDeadline()``. Taking a message event frees flow-control credit, so poll
///   transmit again after draining events.
/// - **Getters**: ``state``, ``statistics``, ``localID``, ``peerID``.
///
/// Time is passed in with every call and must never go backwards. The connection never blocks
/// and never reads a clock; the same inputs always produce the same outputs.
///
/// ```swift
/// let client = Connection(clientWith: ConnectionConfiguration(), localID: ConnectionID(1), at: .zero)
/// while let datagram = client.pollTransmit(at: .zero) { socket.send(datagram) }   // CONNECT
/// // ... later, for every datagram from the server:
/// client.handle(datagram: bytes, at: now)
/// let id = try client.send(Array("hello".utf8))
/// while let event = client.pollEvent() { print(event) }   // .connected, .acknowledged(id), ...
/// ```
public final class Connection {
    /// Which side of the handshake this connection is.
    public enum Role: Sendable { case client, server }

    /// Lifecycle states; see `Specs/PROTOCOL.md`.
    public enum State: Sendable, Hashable {
        /// Client: CONNECT sent, waiting for ACCEPT.
        case connecting
        /// Server: ACCEPT sent, waiting for the client's first DATA packet.
        case accepting
        /// Handshake complete; messages flow both ways.
        case established
        /// Graceful close: CLOSE sent after everything was acknowledged; waiting for the peer.
        case closing
        /// A final CLOSE is about to be sent (peer closed, abort, protocol violation).
        case draining
        /// Finished; no further output.
        case closed
    }

    public let role: Role
    /// The connection ID this side receives on.
    public let localID: ConnectionID
    /// The connection ID the peer receives on (``ConnectionID/none`` until the client has the ACCEPT).
    public private(set) var peerID: ConnectionID
    public private(set) var state: State
    /// The peer's announced parameters, once known.
    public private(set) var peerParameters: TransportParameters?
    /// Why the connection closed, once it has.
    public private(set) var closeReason: CloseReason?
    /// Secure client: a CLOSE that arrived in clear while connecting and reports a security
    /// mismatch or a refusal. It is not authenticated, so it never ends the attempt; if the connect times out
    /// the connection ends with ``CloseReason/peerClosed(_:_:)`` carrying it, as a diagnostic.
    public private(set) var handshakeDiagnostic: CloseFrame?
    /// Whether the connection uses packet security (`Specs/PROTOCOL.md` section 20).
    public var isSecure: Bool { handshakeSecurity != nil }

    let config: ConnectionConfiguration
    private let createdAt: Timestamp
    private var lastReceiveTime: Timestamp
    private var lastAckElicitingSentTime: Timestamp
    /// When a message was last sent or received (``ConnectionConfiguration/applicationIdleTimeout``).
    private var lastApplicationActivity: Timestamp
    /// The application queued a message since the last call with a time: it counts as activity then.
    private var applicationActivityPending = false

    // Security (all nil / plain for a connection without packet security)
    private let handshakeSecurity: (any HandshakeSecurity)?
    private var protection: (any PacketProtection)?
    private let packetFlags: PacketFlags
    /// Bytes after the packet: the CRC-32C trailer, or the protection's tag.
    private var trailerSize = Datagram.trailerSize
    private var clientRandom: [UInt8] = []
    private var serverRandom: [UInt8] = []
    private var retryCookie: [UInt8] = []

    // Handshake
    private var handshakeSendPending = true
    private var handshakeRetransmitAt: Timestamp?
    private var handshakeAttempts = 0

    // Sending and loss recovery
    private var nextPacketNumber: UInt64 = 0
    private var sent: Deque<SentPacket> = []
    private var bytesInFlight = 0
    private var largestAckedByPeer: UInt64?
    private var peerCumulative: UInt64 = 0
    /// The largest ACK_FLOOR this side has sent: the peer's cumulative point below it may cover
    /// packet numbers the peer never received (section 9.4).
    private var largestFloorSent: UInt64 = 0
    private var rtt: RTTEstimator
    private var congestion: any CongestionController
    private var rtoBackoff = 0
    private var rtoStart: Timestamp?
    private var lossTime: Timestamp?
    private var probesAllowed = 0
    /// Whether the newest ack-eliciting packet carried a PING, which the peer acknowledges
    /// without delay: the retransmission timer then need not wait for the peer's max_ack_delay.
    private var lastAckElicitingRequestedImmediateAck = false
    private var pingPending = false
    private var lastForwardProgress: Timestamp

    // Send buffer and flow control
    private var sendBuffer: SendBuffer
    private var creditUsed: UInt64 = 0
    private var peerMaxData: UInt64 = 0
    private var writableWanted = false

    // Receiving
    private var received = ReceivedPacketTracker()
    private var packetsSinceAck = 0
    private var ackElicitingSinceAck = 0
    private var ackImmediately = false
    private var ackDeadline: Timestamp?
    private var channels: [ReliableChannelReceiver]
    private var unreliable = UnreliableReassembler()
    private var creditSeen: UInt64 = 0
    private var creditReleased: UInt64 = 0
    private var advertisedMaxData: UInt64
    private var maxDataUpdateDue = false
    private var undeliveredUnreliableBytes = 0

    // Closing
    private var closeRequested = false
    private var closeFrameToSend: CloseFrame?
    private var sentCloseFrame: CloseFrame?
    private var closeDeadline: Timestamp?
    private var finishAfterClose: CloseReason?
    /// Whether the final CLOSE (draining) carries the pending ACK: yes when answering the peer's
    /// CLOSE or aborting, no after a protocol or flow-control violation.
    private var finalCloseAcknowledges = false

    private var events: Deque<ConnectionEvent> = []
    private var stats = ConnectionStatistics()

    private init(role: Role, config: ConnectionConfiguration, localID: ConnectionID, peerID: ConnectionID, state: State,
                 security: (any HandshakeSecurity)?, at now: Timestamp) {
        precondition(config.validate() == nil, "invalid ConnectionConfiguration: \(config.validate() ?? "")")
        self.role = role
        self.handshakeSecurity = security
        self.packetFlags = security?.flags ?? .plain
        self.config = config
        self.localID = localID
        self.peerID = peerID
        self.state = state
        self.createdAt = now
        self.lastReceiveTime = now
        self.lastAckElicitingSentTime = now
        self.lastApplicationActivity = now
        self.lastForwardProgress = now
        self.rtt = RTTEstimator(initialRTO: config.initialRTO.nanosecondsClamped,
                                minimumRTO: config.minimumRTO.nanosecondsClamped,
                                maximumRTO: config.maximumRTO.nanosecondsClamped)
        self.congestion = config.congestionControllerFactory(config.maxDatagramSize)
        self.sendBuffer = SendBuffer(channelCount: Int(config.channelCount), initialSequence: config.initialMessageSequence)
        self.channels = Array(repeating: ReliableChannelReceiver(initialSequence: config.initialMessageSequence), count: Int(config.channelCount))
        self.advertisedMaxData = UInt64(config.receiveWindow)
    }

    /// A client connection that will send CONNECT on the first ``pollTransmit(at:)``.
    /// The configuration must pass ``ConnectionConfiguration/validate()``.
    ///
    /// With `security`, the connection runs the secure handshake: its CONNECT carries a fresh
    /// client random and the connect-key tag, it answers RETRY with the cookie, and it protects
    /// every packet once a valid ACCEPT arrived.
    public convenience init(clientWith config: ConnectionConfiguration, localID: ConnectionID, at now: Timestamp,
                            security: (any HandshakeSecurity)? = nil) {
        self.init(role: .client, config: config, localID: localID, peerID: .none, state: .connecting, security: security, at: now)
        handshakeRetransmitAt = now.adding(nanoseconds: rtt.rto(peerMaxAckDelay: 0))
        if let security { clientRandom = security.nextRandom() }
    }

    /// A server connection answering a CONNECT whose parameters are `connect`.
    /// The configuration must pass ``ConnectionConfiguration/validate()``.
    public convenience init(serverWith config: ConnectionConfiguration, localID: ConnectionID, connect: TransportParameters, at now: Timestamp) {
        self.init(role: .server, config: config, localID: localID, peerID: connect.sourceConnectionID, state: .accepting, security: nil, at: now)
        adoptPeerParameters(connect)
    }

    /// A secure server connection answering a verified CONNECT (valid connect-key tag and retry
    /// cookie): `protection` holds the session keys derived from both randoms, `serverRandom` is
    /// sent in ACCEPT, authenticated with the handshake key.
    public convenience init(serverWith config: ConnectionConfiguration, localID: ConnectionID, connect: TransportParameters, at now: Timestamp,
                            security: any HandshakeSecurity, protection: any PacketProtection, serverRandom: [UInt8]) {
        self.init(role: .server, config: config, localID: localID, peerID: connect.sourceConnectionID, state: .accepting, security: security, at: now)
        self.protection = protection
        self.trailerSize = protection.overhead
        self.serverRandom = serverRandom
        adoptPeerParameters(connect)
    }

    // MARK: - Getters

    /// A snapshot of the counters and estimates.
    public var statistics: ConnectionStatistics {
        var s = stats
        s.smoothedRTT = rtt.smoothed ?? 0
        s.rttVariation = rtt.variation
        s.minimumRTT = rtt.minimum == .max ? 0 : rtt.minimum
        s.retransmissionTimeout = rto
        s.congestionWindow = congestion.window
        s.bytesInFlight = bytesInFlight
        s.sendBufferMessages = sendBuffer.count
        s.sendBufferBytes = sendBuffer.bufferedBytes
        return s
    }

    /// Datagrams accepted so far (parsed, for this connection, not duplicates).
    public var packetsAccepted: Int { stats.packetsReceived }

    /// Whether the connection has finished and produces no more output.
    public var isClosed: Bool { state == .closed }

    /// Whether every message handed to ``send(_:channel:mode:)`` has left the send buffer.
    public var isSendBufferEmpty: Bool { sendBuffer.isEmpty }

    /// The name of the congestion controller in use.
    public var congestionControllerName: String { congestion.name }

    private var peerMaxAckDelay: UInt64 { UInt64(peerParameters?.maxAckDelayMicroseconds ?? 0) * 1000 }
    private var rto: UInt64 { rtt.rto(peerMaxAckDelay: peerMaxAckDelay) }
    private var maxDatagramSize: Int { min(config.maxDatagramSize, Int(peerParameters?.maxDatagramSize ?? UInt16(config.maxDatagramSize))) }
    private var localMaxData: UInt64 { creditReleased + UInt64(config.receiveWindow) }

    // MARK: - Application commands

    /// Queues a message. It is sent as soon as the handshake, flow and congestion control allow;
    /// a reliable message stays in the send buffer until the peer acknowledges it
    /// (``ConnectionEvent/acknowledged(_:)``). Throws instead of queueing if the buffer is full,
    /// the message is too large, the channel does not exist, or the connection is closing.
    @discardableResult
    public func send(_ message: [UInt8], channel: UInt8 = 0, mode: DeliveryMode = .reliableOrdered) throws(SendError) -> MessageID {
        switch state {
        case .closing, .draining, .closed: throw .connectionClosed
        default: break
        }
        if closeRequested { throw .connectionClosed }
        let channelCount = min(config.channelCount, peerParameters?.channelCount ?? config.channelCount)
        if channel >= channelCount { throw .invalidChannel(channel, channelCount: channelCount) }
        let limit = min(config.maxMessageSize, Int(peerParameters?.maxMessageSize ?? UInt32(config.maxMessageSize)))
        if message.count > limit { throw .messageTooLarge(size: message.count, limit: limit) }
        if sendBuffer.count >= config.sendBufferMessages || sendBuffer.bufferedBytes + message.count > config.sendBufferBytes {
            writableWanted = true
            throw .sendBufferFull
        }
        stats.messagesSent += 1
        applicationActivityPending = true
        return sendBuffer.enqueue(message, channel: channel, mode: mode)
    }

    /// Closes gracefully: refuses new sends, keeps transmitting until every reliable message was
    /// acknowledged, then exchanges CLOSE with the peer. Ends with ``CloseReason/closedLocally``.
    public func close(at now: Timestamp) {
        switch state {
        case .connecting, .accepting:
            // Finish the handshake and deliver what is queued first (bounded by the connect timeout).
            closeRequested = true
        case .established:
            closeRequested = true
            startClosingIfDrained(at: now)
        case .closing, .draining, .closed:
            break
        }
    }

    /// Aborts: discards unacknowledged messages (reported as ``ConnectionEvent/failed(_:)``),
    /// tells the peer once with `frame` (default CLOSE(aborted)), and ends with ``CloseReason/aborted``.
    public func abort(at now: Timestamp, with frame: CloseFrame = CloseFrame(code: .aborted)) {
        switch state {
        case .connecting, .accepting:
            finish(.aborted)
        case .established, .closing:
            sendFinalClose(frame, then: .aborted)
        case .draining, .closed:
            break
        }
    }

    // MARK: - Input

    /// Processes one datagram from the peer (a packet with its checksum trailer, see ``Datagram``,
    /// or, on a secure connection, a protected datagram). Corrupted, forged, replayed or
    /// malformed datagrams are counted and dropped without any other effect.
    public func handle(datagram: [UInt8], at now: Timestamp) {
        if state == .closed { return }
        if handshakeSecurity != nil {
            handle(protectedDatagram: datagram, at: now)
            return
        }
        let packet: Packet
        do {
            packet = try Datagram.open(datagram)
        } catch {
            stats.malformedPacketsDropped += 1
            return
        }
        handle(packet: packet, size: datagram.count, at: now)
    }

    /// Processes one parsed packet from the peer. On a secure connection only the endpoint calls
    /// this, with packets it verified (a CONNECT with a valid connect-key tag).
    public func handle(packet: Packet, size: Int, at now: Timestamp) {
        if state == .closed { return }
        switch packet.body {
        case .connect(let params, _), .secureConnect(let params, _, _):
            if role == .server && state == .accepting && params.sourceConnectionID == peerID {
                handshakeSendPending = true
                lastReceiveTime = now
            }
            return
        case .retry(let cookie) where packet.flags == .plain && handshakeSecurity == nil:
            // Section 4.5: only while Connecting, only for this connection, only with a cookie.
            guard role == .client, state == .connecting, packet.destination == localID, !cookie.isEmpty else {
                stats.plainRetriesDropped += 1
                return
            }
            acceptRetry(cookie, at: now)
            return
        case .secureAccept, .retry:
            return   // only through handle(protectedDatagram:at:), which verifies them
        case .accept(let params):
            guard role == .client, state == .connecting, packet.destination == localID, handshakeSecurity == nil else { return }
            completeHandshake(params, size: size, at: now)
            return
        case .data(let frames):
            guard packet.destination == localID else { return }
            switch state {
            case .connecting:
                // A plain client told in clear that the server requires security, or refuses the
                // connection (section 7.2 server step 5), fails fast.
                for case .close(let close) in frames where close.code.endsConnectAttempt && handshakeSecurity == nil {
                    finish(.peerClosed(close.code, close.reason))
                }
                return
            case .closed: return
            case .accepting:
                state = .established
                lastApplicationActivity = now
                handshakeSendPending = false
                protection?.discardHandshakeKey()
                events.append(.connected)
                startClosingIfDrained(at: now)
            default: break
            }
            let previousLargest = received.largest
            guard received.insert(packet.packetNumber, at: now) else {
                stats.duplicatePacketsDropped += 1
                return
            }
            lastReceiveTime = now
            stats.packetsReceived += 1
            stats.bytesReceived += size
            packetsSinceAck += 1
            var ackEliciting = false
            var immediateAckRequested = false
            for frame in frames {
                if state == .closed || finishAfterClose != nil && state == .draining { break }
                if frame.isAckEliciting { ackEliciting = true }
                if case .ping = frame { immediateAckRequested = true }
                process(frame, packetNumber: packet.packetNumber, at: now)
            }
            if ackEliciting {
                ackElicitingSinceAck += 1
                let inOrder = previousLargest.map { packet.packetNumber == $0 + 1 } ?? (packet.packetNumber == 0)
                if ackElicitingSinceAck >= 2 || !inOrder || received.hasGaps || immediateAckRequested {
                    ackImmediately = true
                } else if ackDeadline == nil {
                    ackDeadline = now + config.maxAckDelay
                }
            }
        }
    }

    /// Client: the server's ACCEPT (verified, in secure mode) completes the handshake.
    private func completeHandshake(_ params: TransportParameters, size: Int, at now: Timestamp) {
        lastReceiveTime = now
        stats.packetsReceived += 1
        stats.bytesReceived += size
        peerID = params.sourceConnectionID
        adoptPeerParameters(params)
        state = .established
        lastApplicationActivity = now
        handshakeRetransmitAt = nil
        handshakeSendPending = false
        pingPending = true
        events.append(.connected)
        startClosingIfDrained(at: now)
    }

    /// A datagram on a secure connection (`Specs/PROTOCOL.md` section 20.5): verified before
    /// anything else; a datagram that fails changes nothing but a drop counter.
    private func handle(protectedDatagram datagram: [UInt8], at now: Timestamp) {
        guard let security = handshakeSecurity else { return }
        let parsedHeader = datagram.withUnsafeBytes { raw in
            Result { () throws(WireError) -> Packet.Header in try Packet.parseHeader(raw) }
        }
        guard case .success(let header) = parsedHeader, header.destination == localID else {
            stats.malformedPacketsDropped += 1
            return
        }
        guard header.flags.contains(.protected) else {
            stats.unprotectedPacketsDropped += 1
            noteDiagnostic(in: datagram)
            return
        }
        guard header.flags == packetFlags, datagram.count >= Packet.headerSize + Packet.protectionTagSize else {
            stats.authenticationFailures += 1
            return
        }
        switch header.type {
        case .data:
            guard let protection else {
                stats.authenticationFailures += 1   // no keys yet: cannot be verified
                return
            }
            var bytes = datagram
            switch protection.open(&bytes) {
            case .verified: break
            case .replayed, .tooOld:
                stats.replayedPacketsDropped += 1
                return
            case .authenticationFailed, .malformed:
                stats.authenticationFailures += 1
                return
            }
            guard let packet = try? Packet.parse(bytes), case .data = packet.body else {
                stats.malformedPacketsDropped += 1
                return
            }
            handle(packet: packet, size: datagram.count, at: now)
        case .retry:
            guard role == .client, state == .connecting else {
                stats.duplicatePacketsDropped += 1   // late (or misdirected) handshake packet
                return
            }
            guard security.verifyConnectKeyTag(datagram) else {
                stats.authenticationFailures += 1
                return
            }
            guard let packet = try? Packet.parse(Array(datagram.dropLast(Packet.protectionTagSize))),
                  case .retry(let cookie) = packet.body, !cookie.isEmpty else {
                stats.malformedPacketsDropped += 1
                return
            }
            acceptRetry(cookie, at: now)
        case .accept:
            guard role == .client, state == .connecting else {
                stats.duplicatePacketsDropped += 1   // a retransmitted ACCEPT after the handshake
                return
            }
            guard let packet = try? Packet.parse(Array(datagram.dropLast(Packet.protectionTagSize))),
                  case let .secureAccept(params, random) = packet.body else {
                stats.malformedPacketsDropped += 1
                return
            }
            guard let candidate = security.sessionProtection(clientRandom: clientRandom, serverRandom: random,
                                                             clientConnectionID: localID, serverConnectionID: params.sourceConnectionID,
                                                             isClient: true),
                  candidate.verifyHandshake(datagram) else {
                stats.authenticationFailures += 1
                return
            }
            candidate.discardHandshakeKey()
            protection = candidate
            trailerSize = candidate.overhead
            serverRandom = random
            handshakeDiagnostic = nil
            completeHandshake(params, size: datagram.count, at: now)
        case .connect:
            stats.malformedPacketsDropped += 1   // the endpoint routes CONNECTs; never reached
        }
    }

    /// Client, Connecting, a RETRY for it (verified in secure mode): store the cookie (replacing
    /// any earlier one) and send CONNECT with it at once (`Specs/PROTOCOL.md` sections 4.5, 7.2).
    /// The RETRY shows the server is there: the CONNECT retransmission timer restarts with its
    /// initial interval (no backoff), while the connect timeout still counts from the first
    /// CONNECT, so RETRYs cannot prolong an attempt.
    private func acceptRetry(_ cookie: [UInt8], at now: Timestamp) {
        stats.retriesReceived += 1
        retryCookie = cookie
        handshakeSendPending = true
        handshakeAttempts = 0
        handshakeRetransmitAt = now.adding(nanoseconds: rtt.rto(peerMaxAckDelay: 0))
    }

    /// Secure client, still connecting: keeps a CLOSE in clear that reports a security mismatch
    /// (it may be forged, so it is only a diagnostic for the connect timeout).
    private func noteDiagnostic(in datagram: [UInt8]) {
        guard role == .client, state == .connecting,
              let packet = try? Datagram.open(datagram), packet.flags == .plain, case .data(let frames) = packet.body else { return }
        for case .close(let close) in frames where close.code.endsConnectAttempt {
            handshakeDiagnostic = close
        }
    }

    private func process(_ frame: Frame, packetNumber: UInt64, at now: Timestamp) {
        switch frame {
        case .ping:
            break
        case .pathChallenge, .pathResponse:
            break   // this engine does not validate paths: it neither answers nor sends them
        case .ack(let ack):
            onAck(ack, at: now)
        case .maxData(let value):
            if value > peerMaxData { peerMaxData = value }
        case .ackFloor(let floor):
            received.applyFloor(min(floor, packetNumber + 1))
        case .message(let message):
            receive(message, at: now)
        case .close(let close):
            onPeerClose(close, at: now)
        }
    }

    private func receive(_ frame: MessageFrame, at now: Timestamp) {
        if frame.channel >= config.channelCount {
            violate("message on channel \(frame.channel), beyond the channel count \(config.channelCount)")
            return
        }
        if frame.mode.isReliable {
            let outcome = channels[Int(frame.channel)].receive(frame, window: config.messageWindow, maxMessageSize: config.maxMessageSize) { message in
                events.append(.message(message))
                stats.messagesDelivered += 1
            }
            switch outcome {
            case .duplicate:
                stats.duplicateFragmentsDropped += 1
            case .accepted(let newBytes):
                lastApplicationActivity = now
                if let newBytes {
                    creditSeen += UInt64(newBytes)
                    if creditSeen > advertisedMaxData {
                        sendFinalClose(CloseFrame(code: .flowControlViolation, reason: "flow-control window exceeded"), then: .flowControlViolation)
                    }
                }
            case .violation(let why):
                violate(why)
            }
        } else {
            let total = Int(frame.totalLength)
            if total > config.maxMessageSize {
                violate("unreliable message of \(total) bytes exceeds the maximum message size")
                return
            }
            lastApplicationActivity = now
            if undeliveredUnreliableBytes + total > config.unreliableDeliveryBytes {
                stats.unreliableMessagesDropped += 1
                return
            }
            if let bytes = unreliable.receive(frame, budget: config.unreliableReassemblyBytes, maxMessageSize: config.maxMessageSize) {
                undeliveredUnreliableBytes += bytes.count
                events.append(.message(ReceivedMessage(bytes: bytes, channel: frame.channel, mode: .unreliable)))
                stats.messagesDelivered += 1
            }
        }
    }

    /// Handles an expired deadline. Call when ``nextDeadline()`` has passed; extra calls are harmless.
    public func handleTimeout(at now: Timestamp) {
        if state == .closed { return }
        noteApplicationActivity(at: now)
        if now >= lastReceiveTime + config.idleTimeout && state != .connecting && state != .accepting {
            finish(.idleTimeout)
            return
        }
        switch state {
        case .connecting, .accepting:
            // The client gives up after the connect timeout. The server keeps an unconfirmed
            // connection as long as an established one would stay idle: the client may already
            // believe it is connected while its first DATA packets are being lost.
            let limit = role == .client ? createdAt + config.connectTimeout : lastReceiveTime + config.idleTimeout
            if now >= limit {
                if let diagnostic = handshakeDiagnostic {
                    finish(.peerClosed(diagnostic.code, diagnostic.reason))
                } else {
                    finish(.connectTimedOut)
                }
                return
            }
            if role == .client, let at = handshakeRetransmitAt, now >= at {
                handshakeSendPending = true
                handshakeAttempts += 1
                let backoff = rtt.rto(peerMaxAckDelay: 0, backoff: handshakeAttempts)
                handshakeRetransmitAt = now.adding(nanoseconds: backoff)
            }
            return
        default:
            break
        }
        if let deadline = closeDeadline, now >= deadline {
            finish(.closedLocally)
            return
        }
        if let deadline = applicationIdleDeadline, now >= deadline {
            sendFinalClose(CloseFrame(code: .applicationIdle, reason: "application idle"), then: .applicationIdle)
            return
        }
        if let deadline = ackDeadline, now >= deadline {
            ackImmediately = true
        }
        if let deadline = lossTime, now >= deadline {
            detectLosses(at: now)
        }
        if let deadline = rtoDeadline, now >= deadline {
            onRetransmissionTimeout(at: now)
            if state == .closed { return }
        }
        if let deadline = keepAliveDeadline, now >= deadline {
            pingPending = true
        }
    }

    // MARK: - Output

    /// The next datagram to send to the peer, or nil when there is nothing to send now.
    public func pollTransmit(at now: Timestamp) -> [UInt8]? {
        noteApplicationActivity(at: now)
        switch state {
        case .closed:
            return nil
        case .connecting, .accepting:
            guard handshakeSendPending else { return nil }
            handshakeSendPending = false
            let params = config.transportParameters(source: localID)
            let destination = role == .client ? ConnectionID.none : peerID
            var bytes: [UInt8]
            if let security = handshakeSecurity {
                let body: Packet.Body = role == .client
                    ? .secureConnect(params, clientRandom: clientRandom, cookie: retryCookie)
                    : .secureAccept(params, serverRandom: serverRandom)
                bytes = Packet(destination: destination, packetNumber: nextPacketNumber, body: body, flags: packetFlags).serialized()
                if role == .client {
                    security.appendConnectKeyTag(&bytes)
                } else {
                    protection?.authenticateHandshake(&bytes)
                }
            } else {
                let body: Packet.Body = role == .client ? .connect(params, cookie: retryCookie) : .accept(params)
                bytes = Packet(destination: destination, packetNumber: nextPacketNumber, body: body).serialized()
                Datagram.seal(&bytes)
            }
            nextPacketNumber += 1
            stats.packetsSent += 1
            stats.bytesSent += bytes.count
            return bytes
        case .established, .closing, .draining:
            return buildDataPacket(at: now)
        }
    }

    /// The next event for the application, or nil.
    public func pollEvent() -> ConnectionEvent? {
        guard let event = events.popFirst() else { return nil }
        if case .message(let m) = event, config.releasesCreditOnPoll {
            releaseCredit(m)
        }
        return event
    }

    /// Gives a delivered message's bytes back to the flow-control window (reliable) or to the
    /// undelivered-unreliable budget. Only needed when
    /// ``ConnectionConfiguration/releasesCreditOnPoll`` is false; call it once per message event.
    public func releaseCredit(_ message: ReceivedMessage) {
        if message.mode.isReliable {
            creditReleased += UInt64(message.bytes.count)
            if localMaxData - advertisedMaxData >= UInt64(config.receiveWindow / 4) { maxDataUpdateDue = true }
        } else {
            undeliveredUnreliableBytes = max(0, undeliveredUnreliableBytes - message.bytes.count)
        }
    }

    /// When ``handleTimeout(at:)`` should next be called, or nil if no timer is armed.
    public func nextDeadline() -> Timestamp? {
        if state == .closed { return nil }
        var deadline: Timestamp? = nil
        func consider(_ t: Timestamp?) {
            guard let t else { return }
            if deadline == nil || t < deadline! { deadline = t }
        }
        switch state {
        case .connecting, .accepting:
            consider(role == .client ? createdAt + config.connectTimeout : lastReceiveTime + config.idleTimeout)
            consider(handshakeRetransmitAt)
            return deadline
        default:
            break
        }
        consider(lastReceiveTime + config.idleTimeout)
        consider(ackElicitingSinceAck > 0 && !ackImmediately ? ackDeadline : nil)
        consider(lossTime)
        consider(rtoDeadline)
        consider(keepAliveDeadline)
        consider(closeDeadline)
        consider(applicationIdleDeadline)
        return deadline
    }

    /// Dates a message the application queued (``send(_:channel:mode:)`` has no time) at the
    /// next call that has one.
    private func noteApplicationActivity(at now: Timestamp) {
        if applicationActivityPending {
            applicationActivityPending = false
            lastApplicationActivity = now
        }
    }

    // MARK: - Timers

    private var rtoDeadline: Timestamp? {
        guard let start = rtoStart else { return nil }
        // Backoff doubles the timeout up to the maximum RTO, and never beyond a quarter of the
        // peer timeout: a lossy path gets at least four more tries before the peer is declared gone.
        let ackDelay = lastAckElicitingRequestedImmediateAck ? 0 : peerMaxAckDelay
        let backedOff = rtt.rto(peerMaxAckDelay: ackDelay, backoff: rtoBackoff)
        let cap = max(rto, config.peerTimeout.nanosecondsClamped / 4)
        return start.adding(nanoseconds: min(backedOff, cap))
    }

    /// Established only: a graceful close in progress, or a final CLOSE, is already ending it.
    private var applicationIdleDeadline: Timestamp? {
        guard state == .established, !closeRequested, let limit = config.applicationIdleTimeout else { return nil }
        return lastApplicationActivity + limit
    }

    private var keepAliveDeadline: Timestamp? {
        guard state == .established, !pingPending, let interval = config.keepAliveInterval else { return nil }
        return lastAckElicitingSentTime + interval
    }

    // MARK: - Building packets

    private var ackFloor: UInt64 {
        for p in sent where p.state == .outstanding { return p.packetNumber }
        return nextPacketNumber
    }

    /// Whether the oldest unsent message waits for flow-control credit or the message window.
    private func isFlowBlocked(_ m: OutgoingMessage) -> Bool {
        guard m.mode.isReliable, !m.isStarted else { return false }
        if creditUsed + UInt64(m.bytes.count) > peerMaxData { return true }
        if let oldest = sendBuffer.oldestUnacknowledged(channel: m.channel),
           m.sequence &- oldest >= UInt32(peerParameters?.messageWindow ?? 1) {
            return true
        }
        return false
    }

    private func buildDataPacket(at now: Timestamp) -> [UInt8]? {
        let mds = maxDatagramSize
        if state == .established && rtoStart == nil && flowBlockedWithNothingInFlight { rtoStart = now }
        let congestionAllows = bytesInFlight + mds <= congestion.window || probesAllowed > 0
        let mayCarryData = state == .established && congestionAllows
        let wantAck = ackElicitingSinceAck > 0 && (ackImmediately || (ackDeadline.map { now >= $0 } ?? false))
        var hasData = mayCarryData && (!sendBuffer.retransmissions.isEmpty || hasSendableMessage())
        if nextPacketNumber >= Packet.packetNumberLimit - 1 {
            // Unreachable in practice (2^62 packets), but a packet number must never repeat.
            finish(.protocolViolation("packet numbers exhausted"))
            return nil
        }
        let wantPing = pingPending && state == .established && congestionAllows
        if !wantAck && !hasData && !wantPing && closeFrameToSend == nil && !maxDataUpdateDue {
            return nil
        }

        var frames: [Frame] = []
        var size = Packet.headerSize + trailerSize
        var ackEliciting = false
        var fragments: [FragmentRef] = []
        var carriedClose = false
        var includedAck = false

        // Several gaps and data to send: send the full ACK in a packet of its own first, so the
        // peer's loss detection sees every range (a data packet has room for one).
        if hasData && wantAck && received.ranges.count > 1 { hasData = false }

        // Control frames first: ACK (+ MAX_DATA), ACK_FLOOR; then a queued CLOSE. The answer to
        // the peer's CLOSE and an abort carry the pending ACK, so the peer sees the packet that
        // carried its CLOSE acknowledged (section 16.2): the ranges leave room for the CLOSE. A
        // CLOSE for a violation acknowledges nothing: the offending packet was not accepted.
        if (packetsSinceAck > 0 || maxDataUpdateDue) && (state != .draining || finalCloseAcknowledges) {
            let closeRoom = closeFrameToSend?.encodedSize ?? 0
            let budget = hasData ? 1 : (mds - size - closeRoom - 14 - 9 - 9 - 12) / 8 + 1
            let delay = now.nanoseconds(since: received.largestTime) / 1000
            let ack = received.ackFrame(maxRanges: max(0, budget), ackDelayMicroseconds: UInt32(clamping: delay))
            frames.append(.ack(ack))
            size += ack.encodedSize
            frames.append(.maxData(localMaxData))
            size += 9
            includedAck = true
        }
        let floor = ackFloor
        if peerCumulative < floor && (hasData || includedAck || wantPing || closeFrameToSend != nil) {
            frames.append(.ackFloor(floor))
            size += 9
            largestFloorSent = max(largestFloorSent, floor)
        }
        if let close = closeFrameToSend, size + close.encodedSize <= mds {
            frames.append(.close(close))
            size += close.encodedSize
            ackEliciting = true
            carriedClose = true
            closeFrameToSend = nil
            sentCloseFrame = close
        }
        if hasData {
            fillData(frames: &frames, size: &size, fragments: &fragments, limit: mds, at: now)
            if !fragments.isEmpty || frames.contains(where: { if case .message = $0 { return true } else { return false } }) {
                ackEliciting = true
            }
        }
        var carriesPing = false
        if pingPending && !ackEliciting && wantPing {
            frames.append(.ping)
            size += 1
            ackEliciting = true
            carriesPing = true
        }
        if ackEliciting && !carriedClose && !carriesPing && size + 1 <= mds {
            // The last packet of a flight (nothing more may or can be sent now) asks for an
            // immediate acknowledgement with a PING: the peer's delayed-ACK timer would otherwise
            // stall the sender for max_ack_delay, and a lost tail could only be recovered by the
            // retransmission timer.
            let mayContinue = probesAllowed == 0 && state == .established
                && bytesInFlight + size + mds <= congestion.window
                && (!sendBuffer.retransmissions.isEmpty || hasSendableMessage())
            if !mayContinue {
                frames.append(.ping)
                size += 1
                carriesPing = true
            }
        }
        if ackEliciting { pingPending = false }
        if frames.isEmpty { return nil }
        if !ackEliciting && !includedAck && !carriedClose {
            // Only an ACK_FLOOR: not worth a packet on its own.
            return nil
        }

        let pn = nextPacketNumber
        nextPacketNumber += 1
        var bytes: [UInt8] = []
        bytes.reserveCapacity(size)
        Packet.writeHeader(type: .data, flags: packetFlags, destination: peerID, packetNumber: pn, into: &bytes)
        for f in frames { f.serialize(into: &bytes) }
        if let protection {
            guard protection.seal(&bytes) else {
                // The key may not protect this packet number (2^62 reached): retire it.
                finish(.aborted)
                return nil
            }
        } else {
            Datagram.seal(&bytes)
        }

        if includedAck {
            packetsSinceAck = 0
            ackElicitingSinceAck = 0
            ackImmediately = false
            ackDeadline = nil
            maxDataUpdateDue = false
            advertisedMaxData = max(advertisedMaxData, localMaxData)
        }
        sent.append(SentPacket(packetNumber: pn, timeSent: now, size: bytes.count, isAckEliciting: ackEliciting,
                               fragments: fragments, carriedClose: carriedClose,
                               state: ackEliciting ? .outstanding : .notAwaited))
        if ackEliciting {
            if bytesInFlight == 0 && rtoStart == nil { lastForwardProgress = now }
            bytesInFlight += bytes.count
            congestion.onPacketSent(bytes: bytes.count, at: now)
            lastAckElicitingSentTime = now
            lastAckElicitingRequestedImmediateAck = carriesPing
            if rtoStart == nil { rtoStart = now }
            if bytesInFlight > congestion.window && probesAllowed > 0 { probesAllowed -= 1 }
        }
        trimSentPackets()
        stats.packetsSent += 1
        stats.bytesSent += bytes.count
        if let reason = finishAfterClose, carriedClose {
            finish(reason)
        }
        return bytes
    }

    private func hasSendableMessage() -> Bool {
        guard let first = sendBuffer.unsent.first, let m = sendBuffer[first] else { return false }
        return !isFlowBlocked(m)
    }

    private func fillData(frames: inout [Frame], size: inout Int, fragments: inout [FragmentRef], limit: Int, at now: Timestamp) {
        // Retransmissions first.
        while let ref = sendBuffer.retransmissions.first {
            guard let m = sendBuffer[ref.message], !m.acked[ref.index] else {
                sendBuffer.retransmissions.removeFirst()
                continue
            }
            let need = m.encodedSize(of: ref.index)
            if size + need > limit { return }
            sendBuffer.retransmissions.removeFirst()
            let frame = m.frame(for: ref.index)
            frames.append(.message(frame))
            size += need
            fragments.append(ref)
            stats.fragmentsRetransmitted += 1
            stats.bytesRetransmitted += frame.payload.count
        }
        // Then new data, in send order.
        let fragmentSize = maxDatagramSize - Packet.headerSize - trailerSize - MessageFrame.overhead - Self.controlReserve
        while let id = sendBuffer.unsent.first {
            guard var m = sendBuffer[id] else {
                sendBuffer.unsent.removeFirst()
                continue
            }
            if !m.isStarted {
                if isFlowBlocked(m) {
                    // Zero-window probing runs on the retransmission timer.
                    if rtoStart == nil && bytesInFlight == 0 { rtoStart = now }
                    return
                }
                if let peer = peerParameters, m.bytes.count > Int(peer.maxMessageSize) || m.channel >= peer.channelCount {
                    // Queued before the handshake told us the peer's limits: it can never be delivered.
                    sendBuffer.unsent.removeFirst()
                    sendBuffer.release(id)
                    if m.mode.isReliable {
                        events.append(.failed(id))
                        stats.messagesFailed += 1
                    }
                    continue
                }
                let need = MessageFrame.overhead + min(fragmentSize, m.bytes.count)
                if size + need > limit { return }
                m.start(fragmentSize: fragmentSize)
                if m.mode.isReliable { creditUsed += UInt64(m.bytes.count) }
            }
            let index = m.nextFragment
            let need = m.encodedSize(of: index)
            if size + need > limit {
                sendBuffer[id] = m
                return
            }
            frames.append(.message(m.frame(for: index)))
            size += need
            m.nextFragment += 1
            lastApplicationActivity = now
            if m.mode.isReliable { fragments.append(FragmentRef(message: id, index: index)) }
            let done = m.isFullySent
            sendBuffer[id] = m
            if done {
                sendBuffer.unsent.removeFirst()
                if !m.mode.isReliable {
                    sendBuffer.release(id)
                    signalWritableIfRoom()
                }
            }
        }
    }

    /// Bytes left free in a full-size data packet for ACK, MAX_DATA and ACK_FLOOR frames.
    static let controlReserve = 44

    private func trimSentPackets() {
        while let first = sent.first, first.state != .outstanding {
            sent.removeFirst()
        }
    }

    // MARK: - Acknowledgements and loss

    private func onAck(_ ack: AckFrame, at now: Timestamp) {
        guard let largest = ack.largestAcknowledged else { return }
        if largest >= nextPacketNumber {
            violate("acknowledgement of packet \(largest), which was never sent")
            return
        }
        peerCumulative = max(peerCumulative, ack.cumulative)
        if largestAckedByPeer == nil || largest > largestAckedByPeer! { largestAckedByPeer = largest }

        var newlyAckedEliciting = false
        var rangeIndex = ack.ranges.count - 1   // ascending walk
        var i = 0
        while i < sent.count {
            let pn = sent[i].packetNumber
            if pn > largest { break }
            var acked = pn < ack.cumulative
            if !acked {
                while rangeIndex >= 0 && ack.ranges[rangeIndex].upper < pn { rangeIndex -= 1 }
                if rangeIndex >= 0 && ack.ranges[rangeIndex].lower <= pn { acked = true }
            }
            if acked {
                switch sent[i].state {
                case .outstanding:
                    sent[i].state = .acknowledged
                    let p = sent[i]
                    if p.isAckEliciting {
                        newlyAckedEliciting = true
                        bytesInFlight -= p.size
                        congestion.onPacketAcknowledged(bytes: p.size, sentTime: p.timeSent, at: now)
                        if pn == largest {
                            let sample = now.nanoseconds(since: p.timeSent)
                            let delay = min(UInt64(ack.ackDelayMicroseconds) * 1000, peerMaxAckDelay)
                            rtt.addSample(sample, ackDelay: delay)
                        }
                    }
                    acknowledgeContents(of: p, at: now)
                case .lost:
                    // Declared lost, yet acknowledged: delivery of its contents only when the
                    // acknowledgement proves receipt (PROTOCOL.md section 9.5).
                    guard Self.lateAcknowledgementProvesReceipt(of: pn, cumulative: ack.cumulative, largestFloorSent: largestFloorSent) else { break }
                    sent[i].state = .acknowledged
                    stats.spuriousLosses += 1
                    acknowledgeContents(of: sent[i], at: now)
                case .acknowledged, .notAwaited:
                    break
                }
            }
            i += 1
        }
        if newlyAckedEliciting {
            rtoBackoff = 0
            probesAllowed = 0
            lastForwardProgress = now
            rtoStart = now
        }
        detectLosses(at: now)
        trimSentPackets()
        if bytesInFlight == 0 && !sent.contains(where: { $0.state == .outstanding }) {
            rtoStart = flowBlockedWithNothingInFlight ? (rtoStart ?? now) : nil
        }
        if state == .closing && closeAcknowledged {
            finish(.closedLocally)
            return
        }
        signalWritableIfRoom()
        startClosingIfDrained(at: now)
    }

    private var closeAcknowledged = false

    /// Whether an ACK frame that covers packet `packetNumber`, which this side declared lost,
    /// proves the peer received it (PROTOCOL.md section 9.5). A range does: ranges hold only
    /// packet numbers the peer received. The cumulative point does not once this side sent an
    /// ACK_FLOOR above the packet: the floor moved the peer's cumulative point past packet numbers
    /// it never received, and taking that for delivery would release messages the peer never got.
    static func lateAcknowledgementProvesReceipt(of packetNumber: UInt64, cumulative: UInt64, largestFloorSent: UInt64) -> Bool {
        packetNumber >= cumulative || packetNumber >= largestFloorSent
    }

    private var flowBlockedWithNothingInFlight: Bool {
        guard bytesInFlight == 0, let first = sendBuffer.unsent.first, let m = sendBuffer[first] else { return false }
        return isFlowBlocked(m)
    }

    private func acknowledgeContents(of packet: SentPacket, at now: Timestamp) {
        if packet.carriedClose { closeAcknowledged = true }
        for ref in packet.fragments where sendBuffer.markAcknowledged(ref) {
            sendBuffer.release(ref.message)
            events.append(.acknowledged(ref.message))
            stats.messagesAcknowledged += 1
        }
    }

    private func signalWritableIfRoom() {
        if writableWanted && sendBuffer.count < config.sendBufferMessages && sendBuffer.bufferedBytes < config.sendBufferBytes {
            writableWanted = false
            events.append(.writable)
        }
    }

    /// RFC 9002 6.1: packet and time thresholds.
    private func detectLosses(at now: Timestamp) {
        lossTime = nil
        guard let largestAcked = largestAckedByPeer else { return }
        let lossDelay = rtt.lossDelay
        var newestLost: Timestamp? = nil
        var runStart: Timestamp? = nil
        var persistent = false
        let persistentDuration: UInt64? = rtt.smoothed.map { srtt in
            (srtt + max(4 * rtt.variation, RTTEstimator.granularity) + peerMaxAckDelay) * 3
        }
        for i in sent.indices {
            let p = sent[i]
            if p.packetNumber >= largestAcked { break }
            guard p.isAckEliciting else { continue }
            switch p.state {
            case .acknowledged:
                runStart = nil
                continue
            case .lost:
                runStart = runStart ?? p.timeSent
                continue
            case .notAwaited:
                continue
            case .outstanding:
                break
            }
            let timeLost = p.timeSent.nanoseconds + lossDelay <= now.nanoseconds
            if timeLost || largestAcked - p.packetNumber >= 3 {
                markLost(at: i)
                newestLost = p.timeSent
                runStart = runStart ?? p.timeSent
                if let d = persistentDuration, p.timeSent.nanoseconds(since: runStart!) >= d { persistent = true }
            } else {
                let t = p.timeSent.adding(nanoseconds: lossDelay)
                if lossTime == nil || t < lossTime! { lossTime = t }
            }
        }
        if let newest = newestLost {
            congestion.onCongestionEvent(newestLostSentTime: newest, at: now)
            if persistent { congestion.onPersistentCongestion() }
        }
    }

    private func markLost(at index: Int) {
        sent[index].state = .lost
        let p = sent[index]
        bytesInFlight -= p.size
        stats.packetsLost += 1
        for ref in p.fragments {
            if let m = sendBuffer[ref.message], !m.acked[ref.index] {
                sendBuffer.retransmissions.append(ref)
            }
        }
        if p.carriedClose, state == .closing, let close = sentCloseFrame {
            closeFrameToSend = close
        }
    }

    /// RFC 6298 5.4–5.7 with RFC 9002's probe semantics: on expiry, re-send the contents of the
    /// earliest outstanding packets (at most two probe packets, allowed past the congestion
    /// window), back off, restart the timer.
    ///
    /// The originals are *not* declared lost and the congestion window is not reduced: on a
    /// lossy path the usual cause of a timeout is a lost tail packet or lost acknowledgements,
    /// not congestion. When the probe's acknowledgement arrives, the ordinary packet- and
    /// time-threshold rules decide what was lost (a congestion event then, and a collapse to the
    /// minimum window if the losses span the persistent-congestion duration).
    private func onRetransmissionTimeout(at now: Timestamp) {
        stats.retransmissionTimeouts += 1
        if now.nanoseconds(since: lastForwardProgress) >= config.peerTimeout.nanosecondsClamped {
            finish(.peerUnreachable)
            return
        }
        var probed = 0
        var requeued: [FragmentRef] = []
        for index in sent.indices {
            if probed == 2 { break }
            let p = sent[index]
            guard p.state == .outstanding && p.isAckEliciting else { continue }
            for ref in p.fragments {
                if let m = sendBuffer[ref.message], !m.acked[ref.index] { requeued.append(ref) }
            }
            if p.carriedClose, state == .closing, let close = sentCloseFrame { closeFrameToSend = close }
            probed += 1
        }
        // The probes carry the oldest data first, ahead of any retransmissions already queued.
        for ref in requeued.reversed() { sendBuffer.retransmissions.prepend(ref) }
        if requeued.isEmpty {
            // Nothing to re-send (a PING, an ACK-eliciting control packet, or a zero-window
            // probe): a PING makes the peer acknowledge.
            pingPending = true
        }
        probesAllowed = 2
        rtoBackoff += 1
        rtoStart = now
    }

    // MARK: - Closing

    private func startClosingIfDrained(at now: Timestamp) {
        guard closeRequested, state == .established, sendBuffer.isEmpty else { return }
        state = .closing
        let close = CloseFrame(code: .normal)
        closeFrameToSend = close
        closeDeadline = now.adding(nanoseconds: 3 * rto)
    }

    private func onPeerClose(_ frame: CloseFrame, at now: Timestamp) {
        switch state {
        case .closing:
            finish(.closedLocally)
        case .established:
            let reason = CloseReason.peerClosed(frame.code, frame.reason)
            if frame.code == .aborted {
                finish(reason)
            } else {
                sendFinalClose(CloseFrame(code: .normal), then: reason)
            }
        default:
            break
        }
    }

    private func violate(_ why: String) {
        sendFinalClose(CloseFrame(code: .protocolViolation, reason: why), then: .protocolViolation(why))
    }

    /// Sends one last CLOSE, then finishes with `reason` once it has been polled out.
    private func sendFinalClose(_ frame: CloseFrame, then reason: CloseReason) {
        guard state != .closed, finishAfterClose == nil else { return }
        state = .draining
        finalCloseAcknowledges = frame.code != .protocolViolation && frame.code != .flowControlViolation
        closeFrameToSend = frame
        finishAfterClose = reason
        pingPending = false
    }

    private func finish(_ reason: CloseReason) {
        guard state != .closed else { return }
        state = .closed
        closeReason = reason
        for id in sendBuffer.drainUnacknowledged() {
            events.append(.failed(id))
            stats.messagesFailed += 1
        }
        sent.removeAll()
        bytesInFlight = 0
        rtoStart = nil
        lossTime = nil
        ackDeadline = nil
        closeDeadline = nil
        handshakeRetransmitAt = nil
        protection = nil   // the session keys are wiped when their last reference goes
        events.append(.closed(reason))
    }

    private func adoptPeerParameters(_ params: TransportParameters) {
        peerParameters = params
        peerMaxData = max(peerMaxData, params.initialMaxData)
        if maxDatagramSize < config.maxDatagramSize {
            // Nothing was sent under the old size yet: size the windows for the negotiated one.
            congestion = config.congestionControllerFactory(maxDatagramSize)
        }
    }
}

private extension CloseCode {
    /// A CLOSE a server sends statelessly in answer to a CONNECT: a security mismatch (6–8) or a
    /// refusal (5). It ends a plain client's attempt; a secure client keeps it as a diagnostic.
    var endsConnectAttempt: Bool { isSecurityMismatch || self == .refused }
}
