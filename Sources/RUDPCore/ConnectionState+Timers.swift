import RUDPWire

/// The timers: arming them where their inputs change, and firing the due ones.
extension ConnectionState {
    /// When ``handleTimeout(at:)`` should next be called, or nil if no timer is armed.
    func nextDeadline() -> Timestamp? {
        if phase.isClosed { return nil }
        return timers.next.map { Timestamp(nanoseconds: $0) }
    }

    /// Fires every timer that is due at `now`, in a fixed order; each handler disarms its timer
    /// or moves it past `now`.
    mutating func handleTimeout(at now: Timestamp) {
        if phase.isClosed { return }
        noteApplicationActivity(at: now)
        let t = now.nanoseconds
        switch phase {
        case .connecting(var handshake):
            if timers.isDue(.idle, at: t) {
                // The client gives up after the connect timeout.
                if let diagnostic = handshake.diagnostic {
                    finish(.peerClosed(diagnostic.code, diagnostic.reason))
                } else {
                    finish(.connectTimedOut)
                }
                return
            }
            if timers.isDue(.handshakeRetransmit, at: t) {
                handshake.sendPending = true
                handshake.attempts += 1
                let backoff = recovery.rtt.rto(peerMaxAckDelay: 0, backoff: handshake.attempts)
                timers[.handshakeRetransmit] = now.adding(nanoseconds: backoff).nanoseconds
                phase = .connecting(handshake)
            }
            return
        case .accepting:
            // The server keeps an unconfirmed connection as long as an established one would
            // stay idle: the client may already believe it is connected while its first DATA
            // packets are being lost.
            if timers.isDue(.idle, at: t) { finish(.connectTimedOut) }
            return
        default:
            break
        }
        if timers.isDue(.idle, at: t) {
            finish(.idleTimeout)
            return
        }
        if timers.isDue(.close, at: t) {
            finish(.closedLocally)
            return
        }
        if timers.isDue(.applicationIdle, at: t) {
            sendFinalClose(CloseFrame(code: .applicationIdle, reason: "application idle"), then: .applicationIdle)
            return
        }
        if timers.isDue(.pathValidation, at: t) {
            timers[.pathValidation] = nil
            if pathValidation.timerExpired(attempts: config.pathChallengeAttempts) {
                stats.pathValidationsAbandoned += 1
            }
        }
        if timers.isDue(.ack, at: t) {
            receive.ackImmediately = true
            timers[.ack] = nil
        }
        if timers.isDue(.loss, at: t) {
            detectLosses(at: now)
        }
        if timers.isDue(.retransmission, at: t) {
            onRetransmissionTimeout(at: now)
            if phase.isClosed { return }
        }
        if timers.isDue(.keepAlive, at: t) {
            // Nothing ack-eliciting was sent for the keep-alive interval: the connection is
            // idle. Give buffers back now, and the sent-packet store once this PING is acknowledged.
            pingPending = true
            armKeepAlive()
            isIdle = true
            shrinkIdleBuffers()
        }
        if timers.isDue(.pacing, at: t) {
            // The pacer lets the next packet go: ``pollTransmit(at:)`` sends it (and re-arms the
            // timer if the pacer holds a later one back).
            timers[.pacing] = nil
        }
    }

    /// The timers armed now, with their deadlines (test diagnostics).
    var armedTimers: [(ConnectionTimer, Timestamp)] {
        ConnectionTimer.allCases.compactMap { timer in timers[timer].map { (timer, Timestamp(nanoseconds: $0)) } }
    }

    // MARK: - Arming

    /// `time` + `interval`, saturating.
    @inline(__always)
    static func after(_ time: UInt64, _ interval: UInt64) -> UInt64 {
        let (sum, overflow) = time.addingReportingOverflow(interval)
        return overflow ? .max : sum
    }

    /// Connecting: the connect timeout since creation; otherwise the idle timeout since the
    /// last packet received.
    mutating func armIdle() {
        switch phase {
        case .connecting: timers[.idle] = Self.after(createdAt, settings.connectTimeout)
        case .closed: timers[.idle] = nil
        default: timers[.idle] = Self.after(lastReceiveTime, settings.idleTimeout)
        }
    }

    mutating func armRetransmission() {
        timers[.retransmission] = recovery.retransmissionDeadline(peerMaxAckDelay: peerMaxAckDelay, peerTimeout: settings.peerTimeout)
    }

    /// Established only, and only while no PING is already pending.
    mutating func armKeepAlive() {
        if phase.isEstablished, !pingPending, let interval = settings.keepAliveInterval {
            timers[.keepAlive] = Self.after(lastAckElicitingSentTime, interval)
        } else {
            timers[.keepAlive] = nil
        }
    }

    /// Established only: a graceful close in progress, or a final CLOSE, is already ending it.
    mutating func armApplicationIdle() {
        if phase.isEstablished, !closeRequested, let limit = settings.applicationIdleTimeout {
            timers[.applicationIdle] = Self.after(lastApplicationActivity, limit)
        } else {
            timers[.applicationIdle] = nil
        }
    }

    /// After a change of phase: the timers whose meaning depends on it.
    mutating func armPhaseTimers() {
        armIdle()
        armKeepAlive()
        armApplicationIdle()
    }

    #if DEBUG
    /// Checks the timers computed from their inputs against the table (debug builds: every
    /// test and simulation run checks that no input changed without its timer being re-armed).
    func checkTimers() {
        if phase.isClosed {
            assert(timers.next == nil, "a closed connection has an armed timer")
            return
        }
        var copy = self
        copy.armIdle()
        copy.armRetransmission()
        copy.armKeepAlive()
        copy.armApplicationIdle()
        for timer in [ConnectionTimer.idle, .retransmission, .keepAlive, .applicationIdle] {
            assert(
                copy.timers[timer] == timers[timer],
                "timer \(timer) is \(String(describing: timers[timer])), its inputs say \(String(describing: copy.timers[timer]))")
        }
        if phase.isHandshaking {
            for timer in ConnectionTimer.allCases where timer != .idle && timer != .handshakeRetransmit {
                assert(timers[timer] == nil, "timer \(timer) armed while handshaking")
            }
        }
        if receive.ackImmediately || receive.ackElicitingSinceAck == 0 {
            assert(timers[.ack] == nil, "the ACK timer is armed while no delayed ACK is pending")
        }
    }
    #endif
}
