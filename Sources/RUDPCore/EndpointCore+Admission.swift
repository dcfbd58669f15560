import RUDPWire

/// New connections on a server: plain and secure CONNECTs, retry cookies, the limits, and the
/// stateless answers. Nothing here runs for an established connection's datagrams.
extension EndpointCore {
    /// Before an address is verified, a server sends it at most this many times the bytes it
    /// received from it (RFC 9000 section 8.1).
    static var amplificationFactor: Int { 3 }

    /// Most stateless answers queued at once; more are dropped (and counted).
    static var statelessAnswerLimit: Int { 1024 }

    // MARK: - Plain

    /// A plain CONNECT (`Specs/PROTOCOL.md` section 7.2): a retransmission goes to its
    /// connection; a replay of an ended handshake is dropped; otherwise, when the retry policy
    /// asks for it and the cookie is not valid, a stateless RETRY; then the limits; then a new
    /// half-open connection (address verified if the cookie was valid).
    mutating func acceptConnect(
        _ packet: Packet, _ params: TransportParameters, cookie: [UInt8], size: Int,
        from address: PeerAddress, at now: Timestamp
    ) {
        let key = HandshakeKey(address: address, clientID: params.sourceConnectionID)
        if let existing = handshakes[key], let slot = table.find(existing), let connection = connections[slot] {
            // A retransmitted CONNECT: the connection sends ACCEPT again.
            if let credit = slots[slot].unverifiedCredit { slots[slot].unverifiedCredit = credit + Self.amplificationFactor * size }
            connection.handle(packet: packet, size: size, at: now)
            if memoryPool.hasClosed { collectMemoryVictims() }
            touch(slot)
            return
        }
        guard configuration.acceptsConnections else {
            statistics.connectionsRefused += 1
            return
        }
        if endedHandshakes.contains(key) {
            statistics.replayedHandshakes += 1  // that connection is over: a replay, not a new client
            return
        }
        var verified = false
        if !cookie.isEmpty {
            let check = plainCookies(at: now).check(
                cookie, address: address.cookieBytes, clientConnectionID: params.sourceConnectionID, at: now)
            if check == .valid { verified = true } else { statistics.invalidCookies += 1 }
        }
        if !verified && configuration.retryPolicy.requiresCookie(halfOpen: halfOpenCount) {
            // Stateless: a 40-byte RETRY for a CONNECT of at least 51 bytes.
            var issuer = plainCookies(at: now)
            let fresh = issuer.issue(
                address: address.cookieBytes, clientConnectionID: params.sourceConnectionID, at: now, using: &randomness)
            plainCookieIssuer = issuer
            var retry = Packet(destination: params.sourceConnectionID, packetNumber: 0, body: .retry(cookie: fresh)).serialized()
            Datagram.seal(&retry)
            if enqueueStatelessAnswer(retry, to: address, answering: size) { statistics.retriesSent += 1 }
            return
        }
        guard let limits = admit(address, clientID: params.sourceConnectionID, answering: size) else { return }
        let id = newConnectionID()
        let connection = Connection(serverWith: settings, localID: id, connect: params, at: now)
        create(
            connection, id: id, address: address, handshake: key, host: limits.host, prefix: limits.prefix,
            unverifiedCredit: verified ? nil : Self.amplificationFactor * size)
    }

    /// The plain-mode cookie issuer, made (with a secret from the endpoint's randomness) on first use.
    mutating func plainCookies(at now: Timestamp) -> PlainRetryCookie {
        if let issuer = plainCookieIssuer { return issuer }
        let issuer = PlainRetryCookie(lifetime: configuration.cookieLifetime, at: now, using: &randomness)
        plainCookieIssuer = issuer
        return issuer
    }

    // MARK: - Secure

    /// `Specs/PROTOCOL.md` section 20.3–20.5: route by the header; verify before anything else.
    mutating func handleSecure(
        datagram: UnsafeRawBufferPointer, from address: PeerAddress, at now: Timestamp,
        security: EndpointSecurity
    ) {
        let header: Packet.Header
        do {
            header = try Packet.parseHeader(datagram)
        } catch {
            statistics.malformedDatagrams += 1
            return
        }
        guard datagram.count <= Packet.maximumDatagramSize else {
            statistics.malformedDatagrams += 1
            return
        }
        if header.type == .connect {
            if header.flags.contains(.protected) {
                handleSecureConnect(Array(datagram), header: header, from: address, at: now, security: security)
            } else {
                answerPlainConnect(datagram, from: address)
            }
            return
        }
        guard let slot = table.find(header.destination), let connection = connections[slot] else {
            statistics.unroutableDatagrams += 1
            return
        }
        // The connection verifies (and decrypts) the datagram itself, into the endpoint's scratch
        // buffer (the size was checked above).
        guard let scratch = receiveScratch?.bytes else { return }
        connection.handle(datagram: datagram, scratch: scratch, at: now)
        if memoryPool.hasClosed { collectMemoryVictims() }
        // Only a packet that verified (and was new) may start or finish a path validation, and
        // only a server validates (PROTOCOL.md sections 7.4, 20.5): a client keeps the address it
        // connected to.
        afterRouted(slot, connection, outcome: connection.lastReceive, size: datagram.count, from: address, at: now)
        touch(slot)
    }

    mutating func handleSecureConnect(
        _ datagram: [UInt8], header: Packet.Header, from address: PeerAddress, at now: Timestamp,
        security: EndpointSecurity
    ) {
        guard configuration.acceptsConnections else {
            statistics.connectionsRefused += 1
            return
        }
        guard datagram.count == Packet.protectedConnectDatagramSize else {
            statistics.malformedDatagrams += 1
            return
        }
        // The tag first: a peer without the key gets no state, no key derivation and no answer.
        guard security.handshake.verifyConnectKeyTag(datagram) else {
            statistics.handshakeAuthenticationFailures += 1
            return
        }
        guard let packet = try? Packet.parse(Array(datagram.dropLast(Packet.protectionTagSize))),
            case let .secureConnect(params, clientRandom, cookie) = packet.body
        else {
            statistics.malformedDatagrams += 1
            return
        }
        guard header.flags == security.handshake.flags else {
            if answerStatelessClose(
                .securityModeMismatch, "security mode mismatch", to: params.sourceConnectionID,
                from: address, answering: datagram.count)
            {
                statistics.securityMismatchesAnswered += 1
            }
            return
        }
        let key = HandshakeKey(address: address, clientID: params.sourceConnectionID)
        if let existing = handshakes[key], let slot = table.find(existing), let connection = connections[slot] {
            connection.handle(packet: packet, size: datagram.count, at: now)
            touch(slot)
            return
        }
        if endedHandshakes.contains(key) {
            statistics.replayedHandshakes += 1  // that connection is over: a replay, not a new client
            return
        }
        let addressBytes = address.cookieBytes
        let check: CookieCheck =
            cookie.isEmpty
            ? .invalid
            : security.handshake.checkCookie(cookie, address: addressBytes, clientConnectionID: params.sourceConnectionID, at: now)
        guard check == .valid else {
            // Unverified address: a RETRY (about 60 bytes, far below the 1,200 received), no state.
            if !cookie.isEmpty { statistics.invalidCookies += 1 }
            let fresh = security.handshake.issueCookie(address: addressBytes, clientConnectionID: params.sourceConnectionID, at: now)
            var retry = Packet(
                destination: params.sourceConnectionID, packetNumber: 0, body: .retry(cookie: fresh),
                flags: security.handshake.flags
            ).serialized()
            security.handshake.appendConnectKeyTag(&retry)
            if enqueueStatelessAnswer(retry, to: address, answering: datagram.count) { statistics.retriesSent += 1 }
            return
        }
        guard let limits = admit(address, clientID: params.sourceConnectionID, answering: datagram.count) else { return }
        let id = newConnectionID()
        let serverRandom = security.handshake.nextRandom()
        guard
            let protection = security.handshake.sessionProtection(
                clientRandom: clientRandom, serverRandom: serverRandom,
                clientConnectionID: params.sourceConnectionID,
                serverConnectionID: id, isClient: false)
        else {
            statistics.malformedDatagrams += 1
            return
        }
        let connection = Connection(
            serverWith: settings, localID: id, connect: params, at: now,
            security: security.handshake, protection: protection, serverRandom: serverRandom)
        create(connection, id: id, address: address, handshake: key, host: limits.host, prefix: limits.prefix, unverifiedCredit: nil)
    }

    /// A secure server got a plain CONNECT: tell the client, statelessly and in clear, that it
    /// needs security. Only for a CONNECT that is intact.
    mutating func answerPlainConnect(_ datagram: UnsafeRawBufferPointer, from address: PeerAddress) {
        guard configuration.acceptsConnections,
            let packet = try? Datagram.open(datagram), case .connect(let params, _) = packet.body
        else {
            statistics.malformedDatagrams += 1
            return
        }
        if answerStatelessClose(
            .securityRequired, "security required", to: params.sourceConnectionID, from: address, answering: datagram.count)
        {
            statistics.securityMismatchesAnswered += 1
        }
    }

    /// A plain server got a datagram that is not a valid plain datagram: if it is a protected
    /// CONNECT, tell the client (statelessly, in clear) that this server has no security.
    mutating func answerProtectedConnect(_ datagram: UnsafeRawBufferPointer, from address: PeerAddress) {
        guard configuration.acceptsConnections, datagram.count == Packet.protectedConnectDatagramSize,
            datagram[1] == PacketType.connect.rawValue, datagram[2] & PacketFlags.protected.rawValue != 0,
            let packet = try? Packet.parse(UnsafeRawBufferPointer(rebasing: datagram[..<(datagram.count - Packet.protectionTagSize)])),
            case let .secureConnect(params, _, _) = packet.body
        else { return }
        if answerStatelessClose(
            .securityNotConfigured, "security not configured", to: params.sourceConnectionID,
            from: address, answering: datagram.count)
        {
            statistics.securityMismatchesAnswered += 1
        }
    }

    /// Queues a plain CLOSE with `code` to a client that is not connected; returns whether it was queued.
    @discardableResult
    mutating func answerStatelessClose(
        _ code: CloseCode, _ reason: String, to client: ConnectionID, from address: PeerAddress,
        answering size: Int
    ) -> Bool {
        var close = Packet(destination: client, packetNumber: 0, body: .data([.close(CloseFrame(code: code, reason: reason))])).serialized()
        Datagram.seal(&close)
        if close.count > Self.amplificationFactor * size {
            close = Packet(destination: client, packetNumber: 0, body: .data([.close(CloseFrame(code: code))])).serialized()
            Datagram.seal(&close)
        }
        return enqueueStatelessAnswer(close, to: address, answering: size)
    }

    /// Queues an answer to a datagram of `size` bytes from an unverified address; never more
    /// than three times as many bytes (no amplification), never more than
    /// ``statelessAnswerLimit`` queued.
    mutating func enqueueStatelessAnswer(_ datagram: [UInt8], to address: PeerAddress, answering size: Int) -> Bool {
        guard datagram.count <= Self.amplificationFactor * size, statelessAnswers.count < Self.statelessAnswerLimit else {
            statistics.statelessAnswersDropped += 1
            return false
        }
        statelessAnswers.append((datagram, address))
        hasStatelessAnswers = true
        return true
    }

    // MARK: - Limits

    /// Checks the server's limits for a new connection from `address` (its CONNECT is `size`
    /// bytes), evicting the oldest half-open connection when that makes room. Returns the keys to
    /// count the connection under, or nil when it is refused (counted, and answered with
    /// CLOSE(refused) if so configured).
    mutating func admit(_ address: PeerAddress, clientID: ConnectionID, answering size: Int) -> (host: AddressKey, prefix: AddressKey)? {
        let host = address.hostKey
        let prefix = address.prefixKey
        if hostCounts[host, default: 0] >= configuration.maxConnectionsPerAddress {
            statistics.refusedAddressLimit += 1
            refuse(clientID, from: address, answering: size)
            return nil
        }
        if prefixCounts[prefix, default: 0] >= configuration.maxConnectionsPerPrefix {
            statistics.refusedPrefixLimit += 1
            refuse(clientID, from: address, answering: size)
            return nil
        }
        if halfOpenCount + establishedCount >= configuration.maxConnections && halfOpenCount == 0 {
            statistics.refusedTableFull += 1
            refuse(clientID, from: address, answering: size)
            return nil
        }
        while halfOpenCount > 0
            && (halfOpenCount >= configuration.maxHalfOpenConnections
                || halfOpenCount + establishedCount >= configuration.maxConnections)
        {
            evictOldestHalfOpen()
        }
        return (host, prefix)
    }

    mutating func refuse(_ clientID: ConnectionID, from address: PeerAddress, answering size: Int) {
        statistics.connectionsRefused += 1
        if configuration.answersRefusedConnects,
            answerStatelessClose(.refused, "too many connections", to: clientID, from: address, answering: size)
        {
            statistics.refusalsAnswered += 1
        }
    }

    mutating func evictOldestHalfOpen() {
        while let (slot, generation) = unverifiedHalfOpen.popFirst() ?? verifiedHalfOpen.popFirst() {
            guard isCurrent(slot, generation), slots[slot].kind == .halfOpen else { continue }
            statistics.halfOpenEvicted += 1
            remove(slot, .evicted)
            return
        }
    }

    /// Adds a new server connection, counted under its limits; its ACCEPT goes out on the next poll.
    mutating func create(
        _ connection: Connection, id: ConnectionID, address: PeerAddress, handshake key: HandshakeKey,
        host: AddressKey, prefix: AddressKey, unverifiedCredit: Int?
    ) {
        let slot = insert(connection, id: id, address: address, kind: .halfOpen)
        slots[slot].unverifiedCredit = unverifiedCredit
        slots[slot].server = EndpointSlot.ServerKeys(host: host, prefix: prefix, handshake: key)
        hostCounts[host, default: 0] += 1
        prefixCounts[prefix, default: 0] += 1
        halfOpenCount += 1
        let generation = slots[slot].generation
        if unverifiedCredit == nil {
            verifiedHalfOpen.append(slot: slot, generation: generation)
        } else {
            unverifiedHalfOpen.append(slot: slot, generation: generation)
        }
        if unverifiedHalfOpen.count + verifiedHalfOpen.count > 2 * halfOpenCount + 64 {
            let slots = self.slots
            let isHalfOpen = { (slot: Int, generation: UInt32) in
                slots[slot].generation == generation && slots[slot].id != .none && slots[slot].kind == .halfOpen
            }
            unverifiedHalfOpen.retain(where: isHalfOpen)
            verifiedHalfOpen.retain(where: isHalfOpen)
        }
        handshakes[key] = id
        statistics.connectionsAccepted += 1
        touch(slot)
    }
}
