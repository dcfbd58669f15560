import RUDPWire

/// What a DATA packet about to be built may carry, decided before any memory is taken for it.
struct DataPacketPlan {
    /// Ack-eliciting packets may go (the window has room, or a probe is allowed).
    var congestionAllows: Bool
    var hasData: Bool
    var wantAck: Bool
    var wantPing: Bool
    var wantPathResponse: Bool
}

/// A DATA packet written into a buffer, before its trailer and its bookkeeping.
struct DataPacketDraft {
    var packetNumber: UInt64
    /// Header and frames, without the trailer.
    var packetLength: Int
    var ackEliciting: Bool
    var includedAck: Bool
    var carriedClose: Bool
    var carriesPing: Bool
    var fragmentStart: UInt64
}

/// Output: handshake packets, DATA packets (built in place by ``PacketBuilder``), PATH_CHALLENGE.
extension ConnectionState {
    /// The next datagram to send to the peer, or nil when there is nothing to send now.
    mutating func pollTransmit(at now: Timestamp) -> [UInt8]? {
        var rounds = 0
        while true {
            if let datagram = nextDatagram(at: now) { return datagram }
            guard firedTimersMadeDue(at: now, rounds: &rounds) else { return nil }
        }
    }

    /// Writes the next datagram for the peer into `buffer` (at least ``maxDatagramSize`` bytes,
    /// and 1,200 for a secure handshake) and returns its length, or nil when there is nothing
    /// to send now. A plain DATA packet is written in place, its payload copied once from the
    /// message; the others are built and copied.
    mutating func pollTransmit(into buffer: UnsafeMutableRawBufferPointer, at now: Timestamp) -> Int? {
        var rounds = 0
        while true {
            if let count = nextDatagram(into: buffer, at: now) { return count }
            guard firedTimersMadeDue(at: now, rounds: &rounds) else { return nil }
        }
    }

    /// The timers' guarantee: once ``pollTransmit(at:)`` has nothing more to send, no timer is
    /// due at `now`. Sending can make one due: a packet with a PING takes the peer's
    /// max_ack_delay out of the running retransmission timer (section 10.2), which then expired
    /// at or before `now`. Such timers fire here, at once, as the spec says they expire, and what
    /// they queue (probes) is sent by the same drain; so a driver that sleeps until
    /// ``nextDeadline()`` never finds it in the past. Each handler moves its timer past `now`;
    /// the bound only guards against a handler that does not.
    private mutating func firedTimersMadeDue(at now: Timestamp, rounds: inout Int) -> Bool {
        guard rounds < 4, !phase.isClosed, let next = timers.next, next <= now.nanoseconds else { return false }
        rounds += 1
        handleTimeout(at: now)
        return true
    }

    private mutating func nextDatagram(at now: Timestamp) -> [UInt8]? {
        noteApplicationActivity(at: now)
        switch phase {
        case .closed:
            return nil
        case .connecting, .accepting:
            return handshakeDatagram()
        case .established, .closing, .draining:
            guard let plan = planDataPacket(at: now) else { return nil }
            return dataDatagram(plan, at: now)
        }
    }

    private mutating func nextDatagram(into buffer: UnsafeMutableRawBufferPointer, at now: Timestamp) -> Int? {
        noteApplicationActivity(at: now)
        switch phase {
        case .closed:
            return nil
        case .connecting, .accepting:
            guard let datagram = handshakeDatagram() else { return nil }
            return Self.copy(datagram, into: buffer)
        case .established, .closing, .draining:
            guard let plan = planDataPacket(at: now) else { return nil }
            if protection != nil {
                guard let datagram = dataDatagram(plan, at: now) else { return nil }
                return Self.copy(datagram, into: buffer)
            }
            precondition(buffer.count >= maxDatagramSize, "datagram buffer smaller than the maximum datagram size")
            guard let draft = writeDataPacket(plan, into: buffer, at: now) else { return nil }
            let size = PacketBuilder.appendChecksum(to: buffer, packetLength: draft.packetLength)
            commitDataPacket(draft, size: size, at: now)
            return size
        }
    }

    private static func copy(_ datagram: [UInt8], into buffer: UnsafeMutableRawBufferPointer) -> Int {
        precondition(buffer.count >= datagram.count, "datagram buffer too small")
        datagram.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        return datagram.count
    }

    /// The DATA packet `plan` allows, as a new array (sealed by the protection, or with its
    /// checksum), after its bookkeeping; nil if it carried nothing worth sending.
    private mutating func dataDatagram(_ plan: DataPacketPlan, at now: Timestamp) -> [UInt8]? {
        // One allocation, the datagram itself, sized for the largest packet this can be.
        var draft: DataPacketDraft?
        var datagram = [UInt8](unsafeUninitializedCapacity: maxDatagramSize) { buffer, count in
            draft = writeDataPacket(plan, into: UnsafeMutableRawBufferPointer(buffer), at: now)
            guard let draft else {
                count = 0
                return
            }
            count =
                protection == nil
                ? PacketBuilder.appendChecksum(to: UnsafeMutableRawBufferPointer(buffer), packetLength: draft.packetLength)
                : draft.packetLength
        }
        guard let draft else { return nil }
        if let protection {
            guard protection.seal(&datagram) else {
                // The key may not protect this packet number (2^62 reached): retire it.
                finish(.aborted)
                return nil
            }
        }
        commitDataPacket(draft, size: datagram.count, at: now)
        return datagram
    }

    /// CONNECT (client) or ACCEPT (server), when one is owed.
    private mutating func handshakeDatagram() -> [UInt8]? {
        let params = config.transportParameters(source: localID)
        var bytes: [UInt8]
        switch phase {
        case .connecting(var handshake):
            guard handshake.sendPending else { return nil }
            handshake.sendPending = false
            phase = .connecting(handshake)
            if let security = handshakeSecurity {
                bytes = Packet(
                    destination: .none, packetNumber: nextPacketNumber,
                    body: .secureConnect(params, clientRandom: handshake.clientRandom, cookie: handshake.retryCookie),
                    flags: packetFlags
                ).serialized()
                security.appendConnectKeyTag(&bytes)
            } else {
                bytes = Packet(destination: .none, packetNumber: nextPacketNumber, body: .connect(params, cookie: handshake.retryCookie))
                    .serialized()
                Datagram.seal(&bytes)
            }
        case .accepting(var handshake):
            guard handshake.sendPending else { return nil }
            handshake.sendPending = false
            phase = .accepting(handshake)
            if handshakeSecurity != nil {
                bytes = Packet(
                    destination: peerID, packetNumber: nextPacketNumber,
                    body: .secureAccept(params, serverRandom: handshake.serverRandom), flags: packetFlags
                ).serialized()
                protection?.authenticateHandshake(&bytes)
            } else {
                bytes = Packet(destination: peerID, packetNumber: nextPacketNumber, body: .accept(params)).serialized()
                Datagram.seal(&bytes)
            }
        default:
            return nil
        }
        nextPacketNumber += 1
        stats.packetsSent += 1
        stats.bytesSent += bytes.count
        return bytes
    }

    // MARK: - DATA packets

    /// The CLOSE to put in the next packet, if any: a graceful close's (first or again), or the
    /// final one.
    var pendingClose: CloseFrame? {
        switch phase {
        case .closing(let closing): return closing.sendPending ? closing.frame : nil
        case .draining(let draining): return draining.frame
        default: return nil
        }
    }

    /// Whether anything is to be sent now, and what; nil when nothing is. Runs what must happen
    /// at every poll even when nothing is sent (the zero-window probe timer, packet-number
    /// exhaustion).
    mutating func planDataPacket(at now: Timestamp) -> DataPacketPlan? {
        let mds = maxDatagramSize
        if phase.isEstablished && recovery.rtoStart == nil && flowBlockedWithNothingInFlight {
            recovery.rtoStart = now.nanoseconds
            armRetransmission()
        }
        var congestionAllows = bytesInFlight + mds <= congestion.window || recovery.probesAllowed > 0
        let mayCarryData = phase.isEstablished && congestionAllows
        let wantAck =
            (receive.ackElicitingSinceAck > 0
                && (receive.ackImmediately || timers[.ack].map { now.nanoseconds >= $0 } ?? false))
            || receive.ackRepeatOwed
        var hasData = mayCarryData && (!sendQueue.retransmissions.isEmpty || hasSendableMessage())
        if nextPacketNumber >= Packet.packetNumberLimit - 1 {
            // Unreachable in practice (2^62 packets), but a packet number must never repeat.
            finish(.protocolViolation("packet numbers exhausted"))
            return nil
        }
        var wantPing = pingPending && phase.isEstablished && congestionAllows
        if (hasData || wantPing), let srtt = pacingRTT {
            // The pacer (section 15.2): an ack-eliciting packet (new data, retransmissions, probes,
            // PINGs) waits for its credit; what else is owed (ACK, MAX_DATA, PATH_RESPONSE) goes
            // now without it. Its timer wakes the connection when a batch may go.
            let window = congestion.window
            if let until = pacer.delay(
                size: mds, room: window - bytesInFlight, window: window, srtt: srtt, datagramSize: mds,
                now: now.nanoseconds)
            {
                if timers[.pacing] == nil { stats.pacingDelays += 1 }
                timers[.pacing] = until
                congestionAllows = false
                hasData = false
                wantPing = false
            } else if timers[.pacing] != nil {
                timers[.pacing] = nil
            }
        } else if timers[.pacing] != nil {
            // Nothing paced is waiting (the window is full, or the queue empty): no wake-up.
            timers[.pacing] = nil
        }
        let wantPathResponse = pathValidation.responseOwed != nil && !phase.isDraining
        if !wantAck && !hasData && !wantPing && pendingClose == nil && !flow.maxDataUpdateDue && !wantPathResponse {
            return nil
        }
        return DataPacketPlan(
            congestionAllows: congestionAllows, hasData: hasData, wantAck: wantAck, wantPing: wantPing,
            wantPathResponse: wantPathResponse)
    }

    /// Writes the DATA packet `plan` allows into `buffer`, in the order of `Specs/PROTOCOL.md`
    /// section 13.3: PATH_RESPONSE, ACK and MAX_DATA, ACK_FLOOR, CLOSE, retransmitted
    /// fragments, new fragments, PING. Nil when it would carry nothing worth a packet.
    private mutating func writeDataPacket(_ plan: DataPacketPlan, into buffer: UnsafeMutableRawBufferPointer, at now: Timestamp)
        -> DataPacketDraft?
    {
        let mds = maxDatagramSize
        let pn = nextPacketNumber
        var builder = PacketBuilder(buffer: buffer, trailerSize: trailerSize, flags: packetFlags, destination: peerID, packetNumber: pn)
        var hasData = plan.hasData
        var ackEliciting = false
        var carriedClose = false
        var includedAck = false
        var carriedPathResponse = false
        let fragmentStart = sent.pendingFragmentEnd

        // The answer to the peer's PATH_CHALLENGE goes first, so the ACK below is sized around it.
        if plan.wantPathResponse, let data = pathValidation.responseOwed {
            builder.writePathResponse(data)
            pathValidation.responseOwed = nil
            carriedPathResponse = true
            stats.pathResponsesSent += 1
        }

        // Several gaps and data to send: send the full ACK in a packet of its own first, so the
        // peer's loss detection sees every range (a data packet has room for one).
        if hasData && plan.wantAck && receive.tracker.ranges.count > 1 { hasData = false }

        // Control frames first: ACK (+ MAX_DATA), ACK_FLOOR; then a queued CLOSE. The answer to
        // the peer's CLOSE and an abort carry the pending ACK, so the peer sees the packet that
        // carried its CLOSE acknowledged (section 16.2): the ranges leave room for the CLOSE. A
        // CLOSE for a violation acknowledges nothing: the offending packet was not accepted.
        let close = pendingClose
        let acknowledgesInPhase: Bool
        if case .draining(let draining) = phase { acknowledgesInPhase = draining.acknowledges } else { acknowledgesInPhase = true }
        if (receive.packetsSinceAck > 0 || flow.maxDataUpdateDue || receive.ackRepeatOwed) && acknowledgesInPhase {
            // With data: one range (the control reserve's). Without: as many as fit with
            // MAX_DATA, an ACK_FLOOR, and the CLOSE or the PING that may follow.
            let trailingRoom = close?.encodedSize ?? (pingPending && plan.wantPing ? FrameSize.ping : 0)
            let budget =
                hasData
                ? 1
                : (mds - builder.size - trailingRoom - FrameSize.ackWithoutRanges - FrameSize.maxData - FrameSize.ackFloor
                    - FrameSize.ackFirstRange) / FrameSize.ackFurtherRange + 1
            let tracker = receive.tracker
            let delay = now.nanoseconds(since: tracker.largestTime) / 1000
            builder.writeAck(
                cumulative: tracker.cumulative, delayMicroseconds: UInt32(clamping: delay), ranges: tracker.ranges,
                count: receive.ackRangeCount(maxRanges: max(0, budget)))
            builder.writeMaxData(flow.localMaxData)
            includedAck = true
        }
        let floor = sent.oldestOutstanding ?? nextPacketNumber
        if recovery.peerCumulative < floor && (hasData || includedAck || plan.wantPing || close != nil) {
            builder.writeAckFloor(floor)
            recovery.largestFloorSent = max(recovery.largestFloorSent, floor)
        }
        if let close, builder.size + close.encodedSize <= mds {
            builder.writeClose(close)
            ackEliciting = true
            carriedClose = true
            if case .closing(var closing) = phase {
                closing.sendPending = false
                phase = .closing(closing)
            }
        }
        if hasData {
            if fillData(&builder, limit: mds, at: now) { ackEliciting = true }
        }
        var carriesPing = false
        if pingPending && !ackEliciting && plan.wantPing {
            builder.writePing()
            ackEliciting = true
            carriesPing = true
        }
        if ackEliciting && !carriedClose && !carriesPing && builder.size + FrameSize.ping <= mds {
            // The last packet of a flight (nothing more may or can be sent now) asks for an
            // immediate acknowledgement with a PING: the peer's delayed-ACK timer would otherwise
            // stall the sender for max_ack_delay, and a lost tail could only be recovered by the
            // retransmission timer.
            let mayContinue =
                recovery.probesAllowed == 0 && phase.isEstablished
                && bytesInFlight + builder.size + mds <= congestion.window
                && (!sendQueue.retransmissions.isEmpty || hasSendableMessage())
            if !mayContinue {
                builder.writePing()
                carriesPing = true
            }
        }
        if ackEliciting {
            pingPending = false
            armKeepAlive()
        }
        if builder.packetLength == Packet.headerSize { return nil }
        if !ackEliciting && !includedAck && !carriedClose && !carriedPathResponse {
            // Only an ACK_FLOOR: not worth a packet on its own.
            return nil
        }
        nextPacketNumber += 1
        return DataPacketDraft(
            packetNumber: pn, packetLength: builder.packetLength, ackEliciting: ackEliciting, includedAck: includedAck,
            carriedClose: carriedClose, carriesPing: carriesPing, fragmentStart: fragmentStart)
    }

    /// The bookkeeping of a DATA packet that leaves, `size` bytes with its trailer.
    private mutating func commitDataPacket(_ draft: DataPacketDraft, size: Int, at now: Timestamp) {
        let t = now.nanoseconds
        if draft.includedAck {
            receive.didSendAck()
            timers[.ack] = nil
            flow.didAdvertise()
        }
        sent.record(
            draft.packetNumber, timeSent: t, size: size, isAckEliciting: draft.ackEliciting, carriedClose: draft.carriedClose,
            fragmentStart: draft.fragmentStart)
        if draft.ackEliciting {
            // A CLOSE is not paced (it carries no data and is not held back): it takes no credit.
            if !draft.carriedClose && pacingRTT != nil { pacer.onSent(size: size, now: t) }
            if bytesInFlight == 0 && recovery.rtoStart == nil { recovery.lastForwardProgress = t }
            bytesInFlight += size
            congestion.onPacketSent(bytes: size, at: t)
            lastAckElicitingSentTime = t
            armKeepAlive()
            recovery.lastAckElicitingRequestedImmediateAck = draft.carriesPing
            if recovery.rtoStart == nil { recovery.rtoStart = t }
            if bytesInFlight > congestion.window && recovery.probesAllowed > 0 { recovery.probesAllowed -= 1 }
            armRetransmission()
        }
        trimSentPackets()
        stats.packetsSent += 1
        stats.bytesSent += size
        if draft.carriedClose, case .draining(let draining) = phase {
            finish(draining.reason)
        }
    }

    /// The SRTT the pacer paces with: nil while nothing is paced (pacing turned off in the
    /// configuration, or no RTT sample yet).
    @inline(__always)
    var pacingRTT: UInt64? {
        settings.pacing ? recovery.rtt.smoothed : nil
    }

    /// Whether the oldest unsent message waits for flow-control credit or the message window.
    private func isFlowBlocked(_ m: OutgoingMessage.Summary) -> Bool {
        guard m.mode.isReliable, !m.isStarted else { return false }
        if flow.blocks(length: m.byteCount) { return true }
        if let oldest = sendQueue.oldestUnacknowledged(channel: m.channel),
            m.sequence &- oldest >= UInt32(peerParameters?.messageWindow ?? 1)
        {
            return true
        }
        return false
    }

    func hasSendableMessage() -> Bool {
        guard let first = sendQueue.firstUnsent else { return false }
        return !isFlowBlocked(sendQueue[first].summary)
    }

    var flowBlockedWithNothingInFlight: Bool {
        guard bytesInFlight == 0, let first = sendQueue.firstUnsent else { return false }
        return isFlowBlocked(sendQueue[first].summary)
    }

    /// Adds MESSAGE frames up to `limit` bytes: retransmissions first, then new fragments in send
    /// order. Returns whether it added any.
    private mutating func fillData(_ builder: inout PacketBuilder, limit: Int, at now: Timestamp) -> Bool {
        var added = false
        // Retransmissions first.
        while let ref = sendQueue.retransmissions.first {
            guard sendQueue.isUnacknowledged(ref) else {
                sendQueue.retransmissions.removeFirst()
                continue
            }
            let need = sendQueue[ref.message].encodedSize(of: ref.index)
            if builder.size + need > limit { return added }
            sendQueue.retransmissions.removeFirst()
            sendQueue[ref.message].write(fragment: ref.index, into: &builder)
            added = true
            sent.addFragment(ref)
            stats.fragmentsRetransmitted += 1
            stats.bytesRetransmitted += need - FrameSize.messageOverhead
        }
        // Then new data, in send order.
        var sentNew = false
        defer {
            if sentNew {
                lastApplicationActivity = now.nanoseconds
                armApplicationIdle()
            }
        }
        while let id = sendQueue.firstUnsent {
            let m = sendQueue[id].summary
            if !m.isStarted {
                if isFlowBlocked(m) {
                    // Zero-window probing runs on the retransmission timer.
                    if recovery.rtoStart == nil && bytesInFlight == 0 {
                        recovery.rtoStart = now.nanoseconds
                        armRetransmission()
                    }
                    return added
                }
                if let peer = peerParameters, m.byteCount > Int(peer.maxMessageSize) || m.channel >= peer.channelCount {
                    // Queued before the handshake told us the peer's limits: it can never be delivered.
                    sendQueue.advanceUnsent()
                    sendQueue.release(id)
                    if m.mode.isReliable {
                        events.append(.failed(id))
                        stats.messagesFailed += 1
                    }
                    continue
                }
                let need = FrameSize.messageOverhead + min(fragmentSize, m.byteCount)
                if builder.size + need > limit { return added }
                sendQueue[id].start(fragmentSize: fragmentSize)
                if m.mode.isReliable { flow.creditUsed += UInt64(m.byteCount) }
            }
            guard let (index, fullySent) = sendQueue.writeNextFragment(of: id, into: &builder, limit: limit) else { return added }
            added = true
            sentNew = true
            let reliable = m.mode.isReliable
            if reliable { sent.addFragment(FragmentRef(message: id, index: index)) }
            if fullySent {
                sendQueue.advanceUnsent()
                if !reliable {
                    sendQueue.release(id)
                    signalWritableIfRoom()
                }
            }
        }
        return added
    }

    // MARK: - Path validation (server; the endpoint holds the addresses, section 7.4)

    /// Starts validating a new candidate address (replacing any validation under way): the first
    /// challenge is due at once. Only once the handshake is complete and until the connection
    /// starts to end; returns whether it started.
    mutating func startPathValidation() -> Bool {
        guard phase.isEstablished || phase.isClosing else { return false }
        pathValidation.start(attempts: config.pathChallengeAttempts)
        timers[.pathValidation] = nil
        return true
    }

    /// Stops the validation under way.
    mutating func cancelPathValidation() {
        pathValidation.stop()
        timers[.pathValidation] = nil
    }

    /// The due PATH_CHALLENGE carrying `data`, as a DATA packet of its own for the candidate
    /// address, or nil if none is due. Not ack-eliciting, never retransmitted (a re-send is a
    /// new challenge with new data, after its timer) and not congestion controlled. It counts as
    /// sent even if the endpoint then holds it back for anti-amplification: that is a loss,
    /// repaired by the next attempt.
    mutating func pathChallengeDatagram(data: UInt64, at now: Timestamp) -> [UInt8]? {
        guard pathValidation.challengeDue else { return nil }
        guard phase.isEstablished || phase.isClosing else {
            cancelPathValidation()
            return nil
        }
        if nextPacketNumber >= Packet.packetNumberLimit - 1 {
            finish(.protocolViolation("packet numbers exhausted"))
            return nil
        }
        let pn = nextPacketNumber
        nextPacketNumber += 1
        let capacity = Packet.headerSize + FrameSize.pathChallenge + trailerSize
        var bytes = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
            var builder = PacketBuilder(
                buffer: UnsafeMutableRawBufferPointer(buffer), trailerSize: trailerSize, flags: packetFlags,
                destination: peerID, packetNumber: pn)
            builder.writePathChallenge(data)
            count = protection == nil ? builder.sealWithChecksum() : builder.packetLength
        }
        if let protection {
            guard protection.seal(&bytes) else {
                finish(.aborted)
                return nil
            }
        }
        let base = max(recovery.rtt.rto(peerMaxAckDelay: 0), settings.initialRTO)
        let interval = PathValidation.interval(after: pathValidation.challengesSent + 1, base: base, maximum: settings.maximumRTO)
        pathValidation.sent(data)
        timers[.pathValidation] = now.adding(nanoseconds: interval).nanoseconds
        stats.pathChallengesSent += 1
        stats.packetsSent += 1
        stats.bytesSent += bytes.count
        return bytes
    }

    /// The candidate address answered: the connection now sends to it. A port-only change (the
    /// same host: NAT rebinding) keeps the congestion state; a new host starts from the initial
    /// window, as RFC 9000 section 9.4 asks for a real path change (`newHost`). The RTT estimate
    /// is kept either way. The retransmission timer restarts without backoff and, with data in
    /// flight, a PING asks the peer to acknowledge at once, so what was sent to the old address
    /// is detected lost and re-sent within a round trip.
    mutating func pathValidated(at now: Timestamp, newHost: Bool) {
        cancelPathValidation()
        stats.pathValidationsSucceeded += 1
        if newHost {
            congestion = CongestionControl(config.congestionControllerFactory(maxDatagramSize))
        }
        recovery.rtoBackoff = 0
        if recovery.rtoStart != nil { recovery.rtoStart = now.nanoseconds }
        recovery.lastForwardProgress = now.nanoseconds
        if bytesInFlight > 0 && phase.isEstablished {
            pingPending = true
            recovery.probesAllowed = max(recovery.probesAllowed, 1)
        }
        armRetransmission()
        armKeepAlive()
    }
}
