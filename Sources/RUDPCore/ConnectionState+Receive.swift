import NIOCore
import RUDPWire

/// What a datagram handed to the state machine still needs from its owner.
enum ReceiveProgress {
    /// Processed (or dropped) completely.
    case done
    /// A DATA packet whose MESSAGE frames could take the endpoint's receive memory past its
    /// budget: the owner must ask the endpoint to make room for `incoming` bytes (which may
    /// close other connections, or this one) and then call
    /// ``ConnectionState/continueData(_:size:admitted:at:)`` with the same packet, whose bytes
    /// (the caller's datagram, or the scratch it was opened into) are still valid and unchanged.
    /// Splitting here keeps the endpoint's callback outside any access to this state.
    case needsRoom(DataPacketView, size: Int, incoming: Int)
}

/// Input from the network: the handshake packets, DATA packets and their frames.
///
/// DATA packets, the per-datagram path, are validated and read in place (``PacketView``,
/// ``FrameCursor``): no `Packet`, no frame array, a message's payload copied once, from the
/// datagram into the delivered message or its reassembly. The handshake packets (CONNECT,
/// ACCEPT, RETRY; rare) are parsed with the reference codec (``Packet``).
extension ConnectionState {
    /// A datagram from the peer (a packet with its checksum trailer, or a protected datagram on
    /// a secure connection), read from the caller's memory. `scratch` (at least `datagram.count`
    /// bytes) receives a secure DATA packet's opened bytes; it must stay unchanged until a
    /// ``ReceiveProgress/needsRoom(_:size:incoming:)`` was continued.
    mutating func handle(datagram: UnsafeRawBufferPointer, scratch: UnsafeMutableRawBufferPointer, at now: Timestamp) -> ReceiveProgress {
        lastReceive = ReceiveOutcome()
        if phase.isClosed { return .done }
        if handshakeSecurity != nil {
            return handle(protectedDatagram: datagram, scratch: scratch, at: now)
        }
        let data: DataPacketView
        do {
            let body = try Datagram.verify(datagram)
            switch try PacketView(validating: body) {
            case .data(let view):
                data = view
            case .handshake:
                handle(packet: try Packet.parse(body), size: datagram.count, at: now)
                return .done
            }
        } catch {
            stats.malformedPacketsDropped += 1
            return .done
        }
        return handle(data: data, size: datagram.count, at: now)
    }

    /// A parsed handshake packet from the peer (CONNECT, ACCEPT or RETRY; from the endpoint,
    /// which verified it if it is a CONNECT of a secure connection). DATA packets go to
    /// ``handle(data:size:at:)``; one that comes here is ignored.
    mutating func handle(packet: Packet, size: Int, at now: Timestamp) {
        lastReceive = ReceiveOutcome()
        if phase.isClosed { return }
        switch packet.body {
        case .connect(let params, _), .secureConnect(let params, _, _):
            if case .accepting(var handshake) = phase, role == .server, params.sourceConnectionID == peerID {
                handshake.sendPending = true
                phase = .accepting(handshake)
                lastReceiveTime = now.nanoseconds
                armIdle()
            }
        case .retry(let cookie) where packet.flags == .plain && handshakeSecurity == nil:
            // Section 4.5: only while Connecting, only for this connection, only with a cookie.
            guard role == .client, case .connecting = phase, packet.destination == localID, !cookie.isEmpty else {
                stats.plainRetriesDropped += 1
                return
            }
            acceptRetry(cookie, at: now)
        case .secureAccept, .retry:
            return  // only through handle(protectedDatagram:at:), which verifies them
        case .accept(let params):
            guard role == .client, case .connecting = phase, packet.destination == localID, handshakeSecurity == nil else { return }
            completeHandshake(params, size: size, at: now)
        case .data:
            return  // the endpoint hands DATA packets to handle(data:size:at:), as views
        }
    }

    /// A validated DATA packet from the peer, read in place (from the endpoint, which routed it,
    /// or opened from a datagram here).
    mutating func handle(data: DataPacketView, size: Int, at now: Timestamp) -> ReceiveProgress {
        lastReceive = ReceiveOutcome()
        if phase.isClosed { return .done }
        guard data.header.destination == localID else { return .done }
        switch phase {
        case .connecting:
            // A plain client told in clear that the server requires security, or refuses the
            // connection (section 7.2 server step 5), fails fast.
            guard handshakeSecurity == nil else { return .done }
            for case .close(let close) in data.frames where close.code.endsConnectAttempt {
                finish(.peerClosed(close.code, close.reason))
            }
            return .done
        case .closed:
            return .done
        case .accepting:
            phase = .established  // the server random goes with the handshake data
            lastApplicationActivity = now.nanoseconds
            protection?.discardHandshakeKey()
            events.append(.connected)
            armPhaseTimers()
            startClosingIfDrained(at: now)
        default:
            break
        }
        switch admission(of: data) {
        case .refused:
            stats.packetsDroppedForMemory += 1
            return .done
        case .needsRoom(let incoming):
            return .needsRoom(data, size: size, incoming: incoming)
        case .admitted:
            process(data, size: size, at: now)
            return .done
        }
    }

    /// ``handle(data:size:at:)``, and what the packet did (``reportedReceive``).
    mutating func handleReporting(data: DataPacketView, size: Int, at now: Timestamp) -> (ReceiveProgress, ReceiveOutcome) {
        let progress = handle(data: data, size: size, at: now)
        return (progress, reportedReceive)
    }

    /// ``lastReceive`` with ``ReceiveOutcome/isValidatingPath`` filled in, for the endpoint.
    var reportedReceive: ReceiveOutcome {
        var outcome = lastReceive
        outcome.isValidatingPath = pathValidation.isActive
        return outcome
    }

    /// After ``ReceiveProgress/needsRoom(_:size:incoming:)``: processes the DATA packet if the
    /// endpoint made room, drops it (counted) if not.
    mutating func continueData(_ data: DataPacketView, size: Int, admitted: Bool, at now: Timestamp) {
        guard admitted, !phase.isClosed else {
            stats.packetsDroppedForMemory += 1
            return
        }
        process(data, size: size, at: now)
    }

    /// Records an admitted DATA packet (section 9.1), processes its frames in order and decides
    /// when to acknowledge it (section 9.2).
    private mutating func process(_ data: DataPacketView, size: Int, at now: Timestamp) {
        let packetNumber = data.header.packetNumber
        let previousLargest = receive.tracker.largest
        guard receive.tracker.insert(packetNumber, at: now) else {
            stats.duplicatePacketsDropped += 1
            return
        }
        lastReceiveTime = now.nanoseconds
        armIdle()
        lastReceive.newPacket = true
        lastReceive.newLargest = receive.tracker.largest == packetNumber
        stats.packetsReceived += 1
        stats.bytesReceived += size
        receive.packetsSinceAck += 1
        var ackEliciting = false
        var immediateAckRequested = false
        for frame in data.frames {
            // A frame may end the connection (CLOSE, a violation): the rest is not processed.
            if phase.isClosed || phase.isDraining { break }
            if frame.isAckEliciting { ackEliciting = true }
            if case .ping = frame { immediateAckRequested = true }
            process(frame, packetNumber: packetNumber, at: now)
        }
        if ackEliciting && !phase.isClosed {
            receive.ackElicitingSinceAck += 1
            let inOrder = previousLargest.map { packetNumber == $0 + 1 } ?? (packetNumber == 0)
            if immediateAckRequested { receive.pingSinceAck = true }
            if receive.ackElicitingSinceAck >= 2 || !inOrder || receive.tracker.hasGaps || immediateAckRequested {
                receive.ackImmediately = true
                timers[.ack] = nil
            } else if timers[.ack] == nil && !receive.ackImmediately {
                timers[.ack] = Self.after(now.nanoseconds, settings.maxAckDelay)
            }
        }
    }

    /// Client: the server's ACCEPT (verified, in secure mode) completes the handshake.
    private mutating func completeHandshake(_ params: TransportParameters, size: Int, at now: Timestamp) {
        lastReceiveTime = now.nanoseconds
        stats.packetsReceived += 1
        stats.bytesReceived += size
        peerID = params.sourceConnectionID
        adoptPeerParameters(params)
        phase = .established  // the client random and the cookie go with the handshake data
        lastApplicationActivity = now.nanoseconds
        timers[.handshakeRetransmit] = nil
        pingPending = true
        events.append(.connected)
        armPhaseTimers()
        startClosingIfDrained(at: now)
    }

    /// A datagram on a secure connection (`Specs/PROTOCOL.md` section 20.5): verified before
    /// anything else; a datagram that fails changes nothing but a drop counter. A DATA packet is
    /// opened into `scratch` and read in place from there.
    private mutating func handle(
        protectedDatagram datagram: UnsafeRawBufferPointer, scratch: UnsafeMutableRawBufferPointer,
        at now: Timestamp
    ) -> ReceiveProgress {
        guard let security = handshakeSecurity else { return .done }
        let parsedHeader = Result { () throws(WireError) -> Packet.Header in try PacketView.header(datagram) }
        guard case .success(let header) = parsedHeader, header.destination == localID else {
            stats.malformedPacketsDropped += 1
            return .done
        }
        guard header.flags.contains(.protected) else {
            stats.unprotectedPacketsDropped += 1
            noteDiagnostic(in: datagram)
            return .done
        }
        guard header.flags == packetFlags, datagram.count >= Packet.headerSize + Packet.protectionTagSize else {
            stats.authenticationFailures += 1
            return .done
        }
        switch header.type {
        case .data:
            guard let protection else {
                stats.authenticationFailures += 1  // no keys yet: cannot be verified
                return .done
            }
            switch protection.open(datagram, into: scratch) {
            case .verified: break
            case .replayed, .tooOld:
                stats.replayedPacketsDropped += 1
                return .done
            case .authenticationFailed, .malformed:
                stats.authenticationFailures += 1
                return .done
            }
            let opened = UnsafeRawBufferPointer(rebasing: scratch[..<(datagram.count - protection.overhead)])
            guard case .data(let data)? = try? PacketView(validating: opened) else {
                stats.malformedPacketsDropped += 1
                return .done
            }
            return handle(data: data, size: datagram.count, at: now)
        case .retry:
            guard role == .client, case .connecting = phase else {
                stats.duplicatePacketsDropped += 1  // late (or misdirected) handshake packet
                return .done
            }
            let bytes = Array(datagram)
            guard security.verifyConnectKeyTag(bytes) else {
                stats.authenticationFailures += 1
                return .done
            }
            guard let packet = try? Packet.parse(Array(bytes.dropLast(Packet.protectionTagSize))),
                case .retry(let cookie) = packet.body, !cookie.isEmpty
            else {
                stats.malformedPacketsDropped += 1
                return .done
            }
            acceptRetry(cookie, at: now)
        case .accept:
            guard role == .client, case .connecting(let handshake) = phase else {
                stats.duplicatePacketsDropped += 1  // a retransmitted ACCEPT after the handshake
                return .done
            }
            let bytes = Array(datagram)
            guard let packet = try? Packet.parse(Array(bytes.dropLast(Packet.protectionTagSize))),
                case let .secureAccept(params, random) = packet.body
            else {
                stats.malformedPacketsDropped += 1
                return .done
            }
            guard
                let candidate = security.sessionProtection(
                    clientRandom: handshake.clientRandom, serverRandom: random,
                    clientConnectionID: localID, serverConnectionID: params.sourceConnectionID,
                    isClient: true),
                candidate.verifyHandshake(bytes)
            else {
                stats.authenticationFailures += 1
                return .done
            }
            candidate.discardHandshakeKey()
            protection = candidate
            trailerSize = candidate.overhead
            completeHandshake(params, size: datagram.count, at: now)
        case .connect:
            stats.malformedPacketsDropped += 1  // the endpoint routes CONNECTs; never reached
        }
        return .done
    }

    /// Client, Connecting, a RETRY for it (verified in secure mode): store the cookie (replacing
    /// any earlier one) and send CONNECT with it at once (`Specs/PROTOCOL.md` sections 4.5, 7.2).
    /// The RETRY shows the server is there: the CONNECT retransmission timer restarts with its
    /// initial interval (no backoff), while the connect timeout still counts from the first
    /// CONNECT, so RETRYs cannot prolong an attempt.
    private mutating func acceptRetry(_ cookie: [UInt8], at now: Timestamp) {
        guard case .connecting(var handshake) = phase else { return }
        stats.retriesReceived += 1
        handshake.retryCookie = cookie
        handshake.sendPending = true
        handshake.attempts = 0
        phase = .connecting(handshake)
        timers[.handshakeRetransmit] = now.adding(nanoseconds: recovery.rtt.rto(peerMaxAckDelay: 0)).nanoseconds
    }

    /// Secure client, still connecting: keeps a CLOSE in clear that reports a security mismatch
    /// (it may be forged, so it is only a diagnostic for the connect timeout).
    private mutating func noteDiagnostic(in datagram: UnsafeRawBufferPointer) {
        guard role == .client, case .connecting(var handshake) = phase,
            let packet = try? Datagram.open(datagram), packet.flags == .plain, case .data(let frames) = packet.body
        else { return }
        for case .close(let close) in frames where close.code.endsConnectAttempt {
            handshake.diagnostic = close
        }
        phase = .connecting(handshake)
    }

    // MARK: - Frames

    private mutating func process(_ frame: FrameView, packetNumber: UInt64, at now: Timestamp) {
        switch frame {
        case .ping:
            break
        case .pathChallenge(let data):
            // Answered in the next packet (section 7.4); a newer challenge replaces an unanswered one.
            stats.pathChallengesReceived += 1
            pathValidation.responseOwed = data
        case .pathResponse(let data):
            // The endpoint decides, from the datagram's source address, whether it validates.
            if pathValidation.matches(data) {
                lastReceive.pathResponseMatched = true
            } else {
                stats.pathResponsesIgnored += 1
            }
        case .ack(let ack):
            onAck(ack, at: now)
        case .maxData(let value):
            if value > flow.peerMaxData {
                flow.peerMaxData = value
                // The window opened: what is sent next starts with an unbacked-off timer.
                if bytesInFlight == 0 && recovery.rtoBackoff > 0 {
                    recovery.rtoBackoff = 0
                    armRetransmission()
                }
            }
        case .ackFloor(let floor):
            receive.tracker.applyFloor(min(floor, packetNumber + 1))
        case .message(let message):
            receive(message, at: now)
        case .close(let close):
            onPeerClose(close.frame, at: now)
        }
    }

    private mutating func receive(_ frame: MessageFrameView, at now: Timestamp) {
        isIdle = false
        if frame.channel >= settings.channelCount {
            violate("message on channel \(frame.channel), beyond the channel count \(settings.channelCount)")
            return
        }
        guard frame.mode.isReliable else {
            receiveUnreliable(frame, at: now)
            return
        }
        let channel = Int(frame.channel)
        if channel >= buffers.channels.count { addChannels(through: frame.channel) }
        let before = events.count
        // The pool's recycler by pointer: passing the pool itself retained and released it for
        // every message (`buffers` is being mutated meanwhile). `buffers.pool` keeps it alive.
        let recycler = buffers.pool?.recyclerPointer
        let outcome = buffers.channels[channel].receive(
            frame, window: settings.messageWindow, maxMessageSize: settings.maxMessageSize,
            recycler: recycler, deliveringTo: &events)
        stats.messagesDelivered += events.count - before
        switch outcome {
        case .duplicate:
            stats.duplicateFragmentsDropped += 1
        case .accepted(let newBytes, let memoryChange):
            lastApplicationActivity = now.nanoseconds
            armApplicationIdle()
            if memoryChange != 0 { buffers.adjust(by: memoryChange) }
            if let newBytes {
                flow.creditSeen += UInt64(newBytes)
                if flow.creditSeen > flow.advertisedMaxData {
                    sendFinalClose(
                        CloseFrame(code: .flowControlViolation, reason: "flow-control window exceeded"), then: .flowControlViolation)
                }
            }
        case .violation(let why):
            violate(why)
        }
    }

    private mutating func addChannels(through channel: UInt8) {
        buffers.channels.reserveCapacity(Int(channel) + 1)
        while buffers.channels.count <= Int(channel) {
            buffers.channels.append(ReliableChannelReceiver(initialSequence: settings.initialMessageSequence))
        }
    }

    private mutating func receiveUnreliable(_ frame: MessageFrameView, at now: Timestamp) {
        let total = Int(frame.totalLength)
        if total > settings.maxMessageSize {
            violate("unreliable message of \(total) bytes exceeds the maximum message size")
            return
        }
        lastApplicationActivity = now.nanoseconds
        armApplicationIdle()
        if buffers.undeliveredUnreliableBytes + total > config.unreliableDeliveryBytes || total > config.unreliableReassemblyBytes {
            stats.unreliableMessagesDropped += 1
            return
        }
        let window = settings.receiveWindow
        let bytes: ByteBuffer
        if frame.offset == 0 && frame.payload.count == total {
            // Whole: delivered at once, if it fits the window (older partial messages give way).
            let cost = total + ReceiveMemory.overhead
            if buffers.memory + cost > window {
                buffers.adjust(by: -buffers.unreliable.shrink(to: max(0, buffers.unreliable.memory - (buffers.memory + cost - window))))
                if buffers.memory + cost > window {
                    stats.unreliableMessagesDropped += 1
                    return
                }
            }
            bytes = MessageBufferRecycler.message(copying: frame.payload, from: buffers.pool?.recyclerPointer)
        } else {
            // The partial messages may use the reassembly budget, as far as the window has room.
            let room = window - (buffers.memory - buffers.unreliable.memory)
            let before = buffers.unreliable.memory
            let outcome = buffers.unreliable.receive(
                frame, limit: min(config.unreliableReassemblyBytes, room), maxMessageSize: settings.maxMessageSize)
            if buffers.unreliable.memory != before { buffers.adjust(by: buffers.unreliable.memory - before) }
            switch outcome {
            case .pending:
                return
            case .dropped:
                stats.unreliableMessagesDropped += 1
                return
            case .completed(let message):
                bytes = message
            }
        }
        let cost = bytes.readableBytes + ReceiveMemory.overhead
        buffers.undeliveredUnreliableBytes += bytes.readableBytes
        buffers.undeliveredUnreliableMemory += cost
        buffers.adjust(by: cost)
        events.append(.message(ReceivedMessage(buffer: bytes, channel: frame.channel, mode: .unreliable)))
        stats.messagesDelivered += 1
    }

    // MARK: - Receive memory

    enum Admission {
        case admitted
        case refused
        /// Fits this connection, but the endpoint's budget needs room for `incoming` bytes.
        case needsRoom(Int)
    }

    /// Before a DATA packet is recorded: whether the memory its MESSAGE frames could add fits
    /// this connection's limits and the endpoint's budget. If not, the packet is dropped
    /// unrecorded (the peer sees a loss) and counted; when the endpoint's budget is exhausted,
    /// the endpoint first closes the connections holding the most (perhaps this one).
    private mutating func admission(of data: DataPacketView) -> Admission {
        var incoming = 0
        for case .message(let message) in data.frames { incoming += ReceiveMemory.bound(payloadCount: message.payload.count) }
        if incoming == 0 { return .admitted }
        if buffers.memory + incoming > receiveMemoryLimit && !admitsBeyondLimit(data, incoming: incoming) {
            return .refused
        }
        if let pool = buffers.pool, pool.held + incoming > pool.budget {
            return .needsRoom(incoming)
        }
        return .admitted
    }

    /// The connection is at its limit: partial unreliable messages give way first; then the
    /// packet is taken only if it carries a fragment of a channel's next reliable message (the
    /// one that, once complete, releases those waiting behind it) and stays below the ceiling.
    private mutating func admitsBeyondLimit(_ data: DataPacketView, incoming: Int) -> Bool {
        let excess = buffers.memory + incoming - receiveMemoryLimit
        buffers.adjust(by: -buffers.unreliable.shrink(to: max(0, buffers.unreliable.memory - excess)))
        if buffers.memory + incoming <= receiveMemoryLimit { return true }
        guard buffers.memory + incoming <= receiveMemoryCeiling else { return false }
        for case .message(let message) in data.frames where message.mode.isReliable {
            let channel = Int(message.channel)
            let next = channel < buffers.channels.count ? buffers.channels[channel].nextToDeliver : settings.initialMessageSequence
            if message.sequence == next { return true }
        }
        return false
    }
}

extension CloseCode {
    /// A CLOSE a server sends statelessly in answer to a CONNECT: a security mismatch (6–8) or a
    /// refusal (5). It ends a plain client's attempt; a secure client keeps it as a diagnostic.
    var endsConnectAttempt: Bool { isSecurityMismatch || self == .refused }
}
