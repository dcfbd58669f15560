import RUDPWire

/// Output, events and timers: the endpoint's `poll` side.
extension EndpointCore {
    // MARK: - Datagrams

    /// Writes the next datagram (or, with `maxSegments` > 1, up to that many equal-sized
    /// datagrams of one connection back to back) into `buffer`, which holds at least
    /// ``maximumDatagramSize`` bytes. Stateless answers go first, then the connections in turn
    /// (one transmit each, round robin).
    mutating func pollTransmit(into buffer: UnsafeMutableRawBufferPointer, maxSegments: Int, at now: Timestamp) -> Transmit? {
        precondition(
            buffer.count >= maximumDatagramSize,
            "pollTransmit needs a buffer of at least maximumDatagramSize (\(maximumDatagramSize)) bytes, got \(buffer.count)")
        if let held = heldDatagram {
            heldDatagram = nil
            return single(held.datagram, to: held.destination, into: buffer)
        }
        if hasStatelessAnswers, let answer = statelessAnswers.popFirst() {
            hasStatelessAnswers = !statelessAnswers.isEmpty
            return single(answer.datagram, to: answer.destination, into: buffer)
        }
        while let (slot, generation) = transmitQueue.first {
            guard isCurrent(slot, generation), let connection = connections[slot] else {
                transmitQueue.removeFirst()
                continue
            }
            if connection.pathChallengeDue, let challenge = pathChallenge(slot, connection, into: buffer, at: now) {
                return challenge
            }
            if let transmit = fill(buffer, from: slot, connection, maxSegments: maxSegments, at: now) {
                // Round robin: to the back, so every connection gets its turn.
                transmitQueue.removeFirst()
                transmitQueue.append(slot: slot, generation: generation)
                return transmit
            }
            transmitQueue.removeFirst()
            slots[slot].inTransmitQueue = false
            markTimer(slot)
            // Transmitting can queue events (the final CLOSE went out: `.closed`). Marking a
            // connection without any cost the caller's next `pollEvent` a call into it for nothing.
            if connection.hasPendingEvents { markEvents(slot) }
        }
        return nil
    }

    /// Writes the connection's next datagrams into `buffer`: the first sets the segment size;
    /// more follow while they have that size, up to `maxSegments`; a shorter one ends the batch.
    /// Datagrams beyond the anti-amplification credit of an unverified address are dropped (as
    /// if lost: the client's retransmission, which brings more credit, or its first DATA packet
    /// repairs it). Returns nil when the connection had nothing to send.
    ///
    /// The connection writes each datagram in place (`Connection.pollTransmit(into:at:)`: a plain
    /// DATA packet is built in `buffer`, each fragment copied once from its message), so a
    /// segment after the first is polled only while `buffer` has room for a whole datagram. One
    /// longer than the segment size ends the batch and is copied out, to go first next time.
    @inline(__always)
    mutating func fill(
        _ buffer: UnsafeMutableRawBufferPointer, from slot: Int, _ connection: Connection,
        maxSegments: Int, at now: Timestamp
    ) -> Transmit? {
        var written = 0
        var segmentSize = 0
        var segments = 0
        while segments < maxSegments {
            if segments > 0 && buffer.count - written < maximumDatagramSize { break }
            let free = UnsafeMutableRawBufferPointer(rebasing: buffer[written...])
            guard let count = connection.pollTransmit(into: free, at: now) else { break }
            if let credit = slots[slot].unverifiedCredit {
                guard count <= credit else {
                    statistics.amplificationLimited += 1
                    continue
                }
                slots[slot].unverifiedCredit = credit - count
            }
            if segments > 0 && count > segmentSize {
                // The next poll sends it first.
                heldDatagram = (Array(UnsafeRawBufferPointer(rebasing: free[..<count])), slots[slot].address)
                break
            }
            statistics.datagramsSent += 1
            statistics.bytesSent += count
            written += count
            segments += 1
            if segments == 1 {
                segmentSize = count
            } else if count < segmentSize {
                break
            }
        }
        if segments == 0 { return nil }
        if connection.isClosed { markEvents(slot) }
        return Transmit(destination: slots[slot].address, byteCount: written, segmentSize: segmentSize, segmentCount: segments)
    }

    /// Copies one datagram produced earlier (a stateless answer, a held datagram) into `buffer`.
    mutating func single(_ datagram: [UInt8], to destination: PeerAddress, into buffer: UnsafeMutableRawBufferPointer) -> Transmit {
        precondition(datagram.count <= buffer.count, "a datagram larger than maximumDatagramSize")
        datagram.withUnsafeBytes { bytes in
            buffer.baseAddress!.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        }
        statistics.datagramsSent += 1
        statistics.bytesSent += datagram.count
        return Transmit(destination: destination, byteCount: datagram.count, segmentSize: datagram.count, segmentCount: 1)
    }

    /// The connection's due PATH_CHALLENGE, with 8 fresh bytes from the random source, for its
    /// candidate address; nil if it is held back: it would exceed three times the bytes received
    /// from the candidate (counted; the connection's timer sends the next one, with more budget
    /// if the candidate sent more), or there is no candidate.
    mutating func pathChallenge(
        _ slot: Int, _ connection: Connection, into buffer: UnsafeMutableRawBufferPointer,
        at now: Timestamp
    ) -> Transmit? {
        guard let candidate = slots[slot].candidate else {
            connection.cancelPathValidation()
            return nil
        }
        guard let datagram = connection.pathChallengeDatagram(data: randomness.next(), at: now) else { return nil }
        let credit = slots[slot].candidateCredit
        guard datagram.count <= credit else {
            statistics.pathChallengesLimited += 1
            return nil
        }
        slots[slot].candidateCredit = credit - datagram.count
        statistics.pathChallengesSent += 1
        return single(datagram, to: candidate, into: buffer)
    }

    // MARK: - Events

    /// The next connection event, or nil. A `.closed` event is the last of its connection, which
    /// is then forgotten.
    mutating func pollEvent() -> (ConnectionID, ConnectionEvent)? {
        while let (slot, generation) = eventQueue.first {
            guard isCurrent(slot, generation), let polled = withConnection(in: slot, { $0.pollEvent() }) else {
                eventQueue.removeFirst()
                continue
            }
            if let event = polled {
                let id = slots[slot].id
                switch event {
                case .closed:
                    let announced = slots[slot].announced
                    remove(slot, .ended)
                    if !announced { continue }  // a handshake that never completed
                case .connected:
                    slots[slot].announced = true
                    markTransmit(slot)
                default:
                    // Not needed for credit (releaseCredit marks the slot itself); kept so that
                    // the transmit order, and so every seed's trace, stays as it was.
                    markTransmit(slot)
                }
                return (id, event)
            }
            eventQueue.removeFirst()
            slots[slot].inEventQueue = false
        }
        return nil
    }

    // MARK: - Timers

    /// Runs every connection timer that has expired by `now`.
    mutating func handleTimeout(at now: Timestamp) {
        refreshTimers()
        // Collect first, then fire each once: a connection's deadline may stay due until its
        // output is polled, and must not be fired again in the same call.
        dueSlots.removeAll(keepingCapacity: true)
        while let top = timers.min, top.deadline <= now.nanoseconds {
            timers.removeMin()
            guard slots[top.slot].timerSerial == top.serial else { continue }
            slots[top.slot].timerSerial = 0
            dueSlots.append(top.slot)
        }
        var i = 0
        while i < dueSlots.count {
            let slot = dueSlots[i]
            i += 1
            guard let connection = connections[slot] else { continue }
            connection.handleTimeout(at: now)
            touch(slot)
        }
    }

    /// The earliest deadline among all connections, or nil.
    mutating func nextDeadline() -> Timestamp? {
        refreshTimers()
        while let top = timers.min {
            if slots[top.slot].timerSerial == top.serial { return Timestamp(nanoseconds: top.deadline) }
            timers.removeMin()
        }
        return nil
    }

    /// Reads the deadline of every connection marked since the last time.
    @inline(__always)
    mutating func refreshTimers() {
        while let (slot, generation) = timerRefreshQueue.popFirst() {
            guard isCurrent(slot, generation), slots[slot].timerDirty else { continue }
            slots[slot].timerDirty = false
            schedule(slot)
        }
    }

    /// Makes sure the timer heap holds the connection's deadline.
    mutating func schedule(_ slot: Int) {
        guard let connection = connections[slot] else { return }
        guard let deadline = connection.nextDeadline()?.nanoseconds else {
            slots[slot].timerSerial = 0
            return
        }
        // Lazy rescheduling: most datagrams move a deadline later (the idle timer, say). Keep the
        // earlier entry then: it fires early, the connection finds nothing due, and is scheduled
        // again. Only an earlier deadline needs a new heap entry.
        if slots[slot].timerSerial != 0 && slots[slot].timerDeadline <= deadline { return }
        timerSerial += 1
        slots[slot].timerSerial = timerSerial
        slots[slot].timerDeadline = deadline
        timers.insert(TimerHeap.Entry(deadline: deadline, serial: timerSerial, slot: slot))
        if timers.count > 2 * table.count + 64 {
            timers.compact { [slots] entry in slots[entry.slot].timerSerial == entry.serial }
        }
    }
}
