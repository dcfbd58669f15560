/// Path validation, the server's side (`Specs/PROTOCOL.md` section 7.4): the endpoint holds
/// the addresses (current and candidate) and the candidate's byte budget; the connection holds
/// the challenges.
extension EndpointCore {
    /// A datagram from the candidate adds to its budget, and validates it if it echoes a
    /// challenge; a new largest packet from the current address cancels a validation (the peer
    /// has not moved), one from any other address makes that address the candidate (replacing
    /// any earlier one).
    mutating func followPath(
        _ slot: Int, _ connection: Connection, size: Int, from address: PeerAddress,
        outcome: ReceiveOutcome, at now: Timestamp
    ) {
        let sameAddress = slots[slot].address == address
        if sameAddress, let credit = slots[slot].unverifiedCredit {
            slots[slot].unverifiedCredit = credit + Self.amplificationFactor * size
        }
        let validating = outcome.isValidatingPath
        if validating && !sameAddress, let candidate = slots[slot].candidate, candidate == address {
            slots[slot].candidateCredit += Self.amplificationFactor * size
            if outcome.pathResponseMatched { switchPath(slot, connection, to: candidate, at: now) }
            return
        }
        if outcome.pathResponseMatched {
            statistics.pathResponsesFromOtherAddresses += 1
            // From a third address it is a copy of the peer's answer (the data went only to the
            // candidate): it must not replace the candidate, or whoever races copies of the
            // peer's packets could stop every validation. From the current address the peer
            // is still there: the validation ends below.
            if !sameAddress { return }
        }
        guard outcome.newLargest else { return }
        if sameAddress {
            if validating {
                connection.cancelPathValidation()
                slots[slot].candidate = nil
                statistics.pathValidationsCancelled += 1
            }
            return
        }
        guard connection.startPathValidation() else { return }
        if validating { statistics.pathValidationsCancelled += 1 }
        slots[slot].candidate = address
        slots[slot].candidateCredit = Self.amplificationFactor * size
        statistics.pathValidationsStarted += 1
    }

    /// The candidate echoed a challenge from its own address: the connection moves there. The
    /// address is verified by that exchange; the connection counts under its new host and
    /// network from now on (a validated move is never refused for those limits).
    mutating func switchPath(_ slot: Int, _ connection: Connection, to candidate: PeerAddress, at now: Timestamp) {
        let host = candidate.hostKey
        let newHost = host != slots[slot].address.hostKey
        if newHost, let keys = slots[slot].server {
            let prefix = candidate.prefixKey
            Self.decrement(&hostCounts, keys.host)
            Self.decrement(&prefixCounts, keys.prefix)
            hostCounts[host, default: 0] += 1
            prefixCounts[prefix, default: 0] += 1
            slots[slot].server?.host = host
            slots[slot].server?.prefix = prefix
        }
        slots[slot].address = candidate
        slots[slot].unverifiedCredit = nil
        slots[slot].candidate = nil
        slots[slot].candidateCredit = 0
        connection.pathValidated(at: now, newHost: newHost)
        statistics.pathMigrations += 1
    }
}
