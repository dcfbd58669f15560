import RUDPWire

/// Acknowledgements, loss detection and the retransmission timer (`Specs/PROTOCOL.md` sections
/// 9.5, 10, 11), over the ``SentPacketStore``.
extension ConnectionState {
    /// An ACK frame, read in place from the received packet: the ranges are walked from the
    /// lowest without building an array.
    mutating func onAck(_ ack: AckFrameView, at now: Timestamp) {
        guard let largest = ack.largestAcknowledged else { return }
        if largest >= nextPacketNumber {
            violate("acknowledgement of packet \(largest), which was never sent")
            return
        }
        let t = now.nanoseconds
        recovery.peerCumulative = max(recovery.peerCumulative, ack.cumulative)
        if recovery.largestAcked.map({ largest > $0 }) ?? true { recovery.largestAcked = largest }

        // The packets the frame acknowledges, in ascending order: below the cumulative point,
        // then each range from the lowest (ranges are descending, disjoint, above it).
        let cumulative = ack.cumulative, delay = ack.ackDelayMicroseconds
        var newlyAckedEliciting = acknowledgePackets(from: 0, to: cumulative, largest: largest, cumulative: cumulative, delay: delay, at: t)
        for range in ack.rangesAscending {
            if acknowledgePackets(from: range.lower, to: range.upper + 1, largest: largest, cumulative: cumulative, delay: delay, at: t) {
                newlyAckedEliciting = true
            }
        }

        if newlyAckedEliciting {
            // An answered zero-window probe keeps its backoff (section 14.3): the peer is alive
            // but its window is still closed, and probing again one plain RTO later would keep
            // both ends busy at round-trip pace for as long as its application does not read.
            if !flowBlockedWithNothingInFlight { recovery.rtoBackoff = 0 }
            recovery.probesAllowed = 0
            recovery.lastForwardProgress = t
            recovery.rtoStart = t
        }
        detectLosses(at: now)
        trimSentPackets()
        if bytesInFlight == 0 && sent.outstandingCount == 0 {
            recovery.rtoStart = flowBlockedWithNothingInFlight ? (recovery.rtoStart ?? t) : nil
        }
        armRetransmission()
        if phase.isClosing && closeAcknowledged {
            finish(.closedLocally)
            return
        }
        signalWritableIfRoom()
        startClosingIfDrained(at: now)
    }

    /// The packets `lower ..< upper` the store holds are covered by an ACK frame; returns
    /// whether any was an ack-eliciting packet in flight (newly acknowledged).
    private mutating func acknowledgePackets(
        from lower: UInt64, to upper: UInt64, largest: UInt64, cumulative: UInt64, delay: UInt32,
        at t: UInt64
    ) -> Bool {
        var pn = max(lower, sent.firstPacketNumber)
        let stop = min(upper, sent.endPacketNumber)
        var newly = false
        while pn < stop {
            if acknowledgePacket(pn, largest: largest, cumulative: cumulative, delay: delay, at: t) { newly = true }
            pn += 1
        }
        return newly
    }

    /// Packet `pn` is covered by an ACK frame (whose cumulative point and ACK delay in µs are
    /// `cumulative` and `delay`); returns whether it was an ack-eliciting packet in flight (newly
    /// acknowledged).
    private mutating func acknowledgePacket(_ pn: UInt64, largest: UInt64, cumulative: UInt64, delay: UInt32, at t: UInt64) -> Bool {
        let position = Int(pn - sent.firstPacketNumber)
        let packet = sent[position]
        switch packet.state {
        case .outstanding:
            sent.setState(.acknowledged, at: position)
            bytesInFlight -= Int(packet.size)
            congestion.onPacketAcknowledged(bytes: Int(packet.size), sentTime: packet.timeSent, at: t)
            if pn == largest {
                let sample = t >= packet.timeSent ? t - packet.timeSent : 0
                recovery.rtt.addSample(sample, ackDelay: min(UInt64(delay) * 1000, peerMaxAckDelay))
            }
            acknowledgeContents(of: packet)
            return true
        case .lost:
            // Declared lost, yet acknowledged: delivery of its contents only when the
            // acknowledgement proves receipt (PROTOCOL.md section 9.5).
            guard
                Connection.lateAcknowledgementProvesReceipt(
                    of: pn, cumulative: cumulative,
                    largestFloorSent: recovery.largestFloorSent)
            else { return false }
            sent.setState(.acknowledged, at: position)
            stats.spuriousLosses += 1
            acknowledgeContents(of: packet)
            return false
        case .acknowledged, .notAwaited, .vacant:
            return false
        }
    }

    private mutating func acknowledgeContents(of packet: SentPacket) {
        if packet.carriedClose { closeAcknowledged = true }
        sent.forEachFragment(of: packet) { ref in
            if sendQueue.markAcknowledged(ref) {
                sendQueue.release(ref.message)
                events.append(.acknowledged(ref.message))
                stats.messagesAcknowledged += 1
            }
        }
    }

    /// A refused send waits for room, and there is room now for the smallest message refused
    /// (one larger than the whole buffer waits until the buffer is empty).
    var writableIsDue: Bool {
        writableWanted && sendQueue.count < config.sendBufferMessages
            && (sendQueue.bufferedBytes + writableSize <= config.sendBufferBytes || sendQueue.bufferedBytes == 0)
            && sendQueue.span < Self.maximumSpanFactor * config.sendBufferMessages
    }

    mutating func signalWritableIfRoom() {
        if writableIsDue {
            writableWanted = false
            events.append(.writable)
        }
    }

    /// Drops the settled packets at the front of the store.
    mutating func trimSentPackets() {
        sent.trim()
        if isIdle && sent.isEmpty { shrinkIdleBuffers() }
    }

    /// RFC 9002 6.1: packet and time thresholds. Re-arms the loss timer.
    mutating func detectLosses(at now: Timestamp) {
        timers[.loss] = nil
        guard let largestAcked = recovery.largestAcked else { return }
        let t = now.nanoseconds
        let lossDelay = recovery.rtt.lossDelay
        var newestLost: UInt64? = nil
        var runStart: UInt64? = nil
        var persistent = false
        var lossTime = UInt64.max
        let persistentDuration = recovery.persistentCongestionDuration(peerMaxAckDelay: peerMaxAckDelay)
        var position = 0
        let count = sent.count
        while position < count {
            let pn = sent.packetNumber(at: position)
            if pn >= largestAcked { break }
            let p = sent[position]
            position += 1
            guard p.isAckEliciting else { continue }
            switch p.state {
            case .acknowledged:
                runStart = nil
                continue
            case .lost:
                runStart = runStart ?? p.timeSent
                continue
            case .notAwaited, .vacant:
                continue
            case .outstanding:
                break
            }
            let timeLost = p.timeSent + lossDelay <= t
            if timeLost || largestAcked - pn >= 3 {
                markLost(at: position - 1)
                newestLost = p.timeSent
                runStart = runStart ?? p.timeSent
                if let d = persistentDuration, p.timeSent - min(p.timeSent, runStart!) >= d { persistent = true }
            } else {
                let deadline = Timestamp(nanoseconds: p.timeSent).adding(nanoseconds: lossDelay).nanoseconds
                if deadline < lossTime { lossTime = deadline }
            }
        }
        timers[.loss] = lossTime == .max ? nil : lossTime
        if let newest = newestLost {
            congestion.onCongestionEvent(newestLostSentTime: newest, at: t)
            if persistent { congestion.onPersistentCongestion() }
        }
    }

    private mutating func markLost(at position: Int) {
        sent.setState(.lost, at: position)
        let p = sent[position]
        bytesInFlight -= Int(p.size)
        stats.packetsLost += 1
        sent.forEachFragment(of: p) { ref in
            if sendQueue.isUnacknowledged(ref) { sendQueue.retransmissions.append(ref) }
        }
        if p.carriedClose { resendClose() }
    }

    /// Closing: a packet that carried the CLOSE was lost or is being probed: send it again.
    private mutating func resendClose() {
        if case .closing(var closing) = phase {
            closing.sendPending = true
            phase = .closing(closing)
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
    mutating func onRetransmissionTimeout(at now: Timestamp) {
        stats.retransmissionTimeouts += 1
        let t = now.nanoseconds
        if t - min(t, recovery.lastForwardProgress) >= settings.peerTimeout {
            finish(.peerUnreachable)
            return
        }
        var probed = 0
        var requeued: [FragmentRef] = []
        for position in 0..<sent.count {
            if probed == 2 { break }
            let p = sent[position]
            guard p.state == .outstanding && p.isAckEliciting else { continue }
            sent.forEachFragment(of: p) { ref in
                if sendQueue.isUnacknowledged(ref) { requeued.append(ref) }
            }
            if p.carriedClose { resendClose() }
            probed += 1
        }
        // The probes carry the oldest data first, ahead of any retransmissions already queued.
        for ref in requeued.reversed() { sendQueue.retransmissions.prepend(ref) }
        if requeued.isEmpty {
            // Nothing to re-send (a PING, an ACK-eliciting control packet, or a zero-window
            // probe): a PING makes the peer acknowledge.
            pingPending = true
            armKeepAlive()
        }
        recovery.probesAllowed = 2
        recovery.rtoBackoff += 1
        recovery.rtoStart = t
        armRetransmission()
    }
}

extension Connection {
    /// Whether an ACK frame that covers packet `packetNumber`, which this side declared lost,
    /// proves the peer received it (PROTOCOL.md section 9.5). A range does: ranges hold only
    /// packet numbers the peer received. The cumulative point does not once this side sent an
    /// ACK_FLOOR above the packet: the floor moved the peer's cumulative point past packet numbers
    /// it never received, and taking that for delivery would release messages the peer never got.
    static func lateAcknowledgementProvesReceipt(of packetNumber: UInt64, cumulative: UInt64, largestFloorSent: UInt64) -> Bool {
        packetNumber >= cumulative || packetNumber >= largestFloorSent
    }
}
