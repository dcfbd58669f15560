import RUDPWire

/// Ending a connection (`Specs/PROTOCOL.md` section 16).
extension ConnectionState {
    /// A graceful close was asked for and every message is acknowledged: send CLOSE(normal),
    /// wait at most 3 × RTO (section 16.1).
    mutating func startClosingIfDrained(at now: Timestamp) {
        guard closeRequested, phase.isEstablished, sendQueue.isEmpty else { return }
        phase = .closing(Closing(frame: CloseFrame(code: .normal), sendPending: true))
        timers[.close] = now.adding(nanoseconds: 3 * rto).nanoseconds
        armPhaseTimers()
    }

    mutating func onPeerClose(_ frame: CloseFrame, at now: Timestamp) {
        switch phase {
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

    mutating func violate(_ why: String) {
        sendFinalClose(CloseFrame(code: .protocolViolation, reason: why), then: .protocolViolation(why))
    }

    /// Sends one last CLOSE, then finishes with `reason` once it has been polled out.
    mutating func sendFinalClose(_ frame: CloseFrame, then reason: CloseReason) {
        switch phase {
        case .closed, .draining: return
        default: break
        }
        buffers.releaseAll()  // no MESSAGE frame is processed from now on
        let acknowledges = frame.code != .protocolViolation && frame.code != .flowControlViolation
        phase = .draining(Draining(frame: frame, reason: reason, acknowledges: acknowledges))
        pingPending = false
        armPhaseTimers()
    }

    /// Closes the connection because the endpoint's receive-memory budget is exhausted and it
    /// holds the most: frees its receive memory at once, sends CLOSE(resource limit) and ends
    /// with ``CloseReason/resourceLimit``.
    mutating func closeForResourceLimit(at now: Timestamp) {
        buffers.releaseAll()
        switch phase {
        case .connecting, .accepting:
            finish(.resourceLimit)
        case .established, .closing:
            sendFinalClose(CloseFrame(code: .resourceLimit, reason: "receive memory budget exhausted"), then: .resourceLimit)
        case .draining, .closed:
            break
        }
    }

    /// Ends the connection: unacknowledged messages fail, every timer stops, the keys go.
    mutating func finish(_ reason: CloseReason) {
        if phase.isClosed { return }
        phase = .closed(reason)
        buffers.releaseAll()
        for id in sendQueue.drainUnacknowledged() {
            events.append(.failed(id))
            stats.messagesFailed += 1
        }
        sent.removeAll()
        bytesInFlight = 0
        recovery.rtoStart = nil
        timers.stopAll()
        pathValidation.stop()
        pathValidation.responseOwed = nil
        protection = nil  // the session keys are wiped when their last reference goes
        events.append(.closed(reason))
    }
}
