import DequeModule
import HeapModule
import RUDPWire

/// Many connections over one socket: routes datagrams by connection ID, accepts new peers
/// (when configured as a server), and multiplexes the connections' output and timers.
///
/// Like ``Connection`` it is sans-IO: the caller moves datagrams between it and a socket (or a
/// simulated network) and passes the time in. `Address` is whatever identifies a peer to the
/// caller: a socket address for the UDP transport, a node number in the simulator.
///
/// ```swift
/// let server = Endpoint<Int>(configuration: EndpointConfiguration(acceptsConnections: true), seed: 1)
/// let client = Endpoint<Int>(configuration: EndpointConfiguration(), seed: 2)
/// let id = client.connect(to: 0, at: .zero)
/// try client.send(Array("hi".utf8), on: id)
/// while let (datagram, _) = client.pollTransmit(at: .zero) {
///     server.handle(datagram: datagram, from: 1, at: .zero)
/// }
/// while let (connection, event) = server.pollEvent() { print(connection, event) }
/// ```
///
/// With an ``EndpointSecurity`` the endpoint runs the secure handshake of `Specs/PROTOCOL.md`
/// section 20: a server answers a CONNECT only if its connect-key tag verifies, answers an
/// unverified address statelessly with RETRY (never more bytes than it received), and creates
/// a connection (and derives keys) only for a CONNECT with a valid cookie.
public final class Endpoint<Address: Hashable> {
    private struct Entry {
        let connection: Connection
        var address: Address
        var handshakeKey: HandshakeKey?
        /// Whether the application has been told of the connection (a server connection is
        /// announced with its `.connected` event; one that never completes stays silent).
        var announced: Bool
    }

    private struct HandshakeKey: Hashable {
        var address: Address
        var clientID: ConnectionID
    }

    private struct TimerEntry: Comparable {
        var deadline: Timestamp
        var id: ConnectionID
        var generation: UInt64
        static func < (a: TimerEntry, b: TimerEntry) -> Bool {
            (a.deadline, a.id.rawValue, a.generation) < (b.deadline, b.id.rawValue, b.generation)
        }
    }

    public let configuration: EndpointConfiguration
    private var rng: SeededGenerator
    private var connections: [ConnectionID: Entry] = [:]
    private var handshakes: [HandshakeKey: ConnectionID] = [:]
    private var transmitQueue: Deque<ConnectionID> = []
    private var inTransmitQueue: Set<ConnectionID> = []
    private var eventQueue: Deque<ConnectionID> = []
    private var inEventQueue: Set<ConnectionID> = []
    private var timers = Heap<TimerEntry>()
    /// The live timer entry of each connection: its generation and deadline.
    private var scheduled: [ConnectionID: (generation: UInt64, deadline: Timestamp)] = [:]
    private var generationCounter: UInt64 = 0
    private let security: EndpointSecurity<Address>?
    /// `security != nil` as a plain Bool: the plain hot path tests only this (inspecting the
    /// optional of a generic struct costs metadata lookups when the endpoint is not specialized).
    private let hasSecurity: Bool
    /// `!statelessAnswers.isEmpty`, for the same reason.
    private var hasStatelessAnswers = false
    /// Stateless answers (RETRY, security-mismatch CLOSE), sent before any connection's output.
    private var statelessAnswers: Deque<(datagram: [UInt8], destination: Address)> = []
    /// Most stateless answers queued at once; more are dropped (and counted).
    static var statelessAnswerLimit: Int { 1024 }
    /// Secure servers: the (address, client connection ID) of the most recent handshakes whose
    /// connection has ended. A client never reuses its connection ID, so a CONNECT for one of
    /// them is a replay (its cookie may still be valid) and must not create a new connection.
    private var endedHandshakes: Set<HandshakeKey> = []
    private var endedHandshakeOrder: Deque<HandshakeKey> = []
    /// Most ended handshakes remembered (oldest forgotten first).
    static var endedHandshakeLimit: Int { 4096 }
    /// Endpoint-wide counters.
    public private(set) var statistics = EndpointStatistics()

    /// Creates an endpoint whose connection IDs are drawn from `seed`; with `security`, every
    /// connection is authenticated (and encrypted, in that mode) with the security's key.
    public init(configuration: EndpointConfiguration, seed: UInt64, security: EndpointSecurity<Address>? = nil) {
        precondition(configuration.connection.validate() == nil, "invalid ConnectionConfiguration: \(configuration.connection.validate() ?? "")")
        self.configuration = configuration
        self.rng = SeededGenerator(seed: seed)
        self.security = security
        self.hasSecurity = security != nil
    }

    /// Whether the endpoint protects its connections.
    public var isSecure: Bool { hasSecurity }

    /// Number of connections (in any state).
    public var connectionCount: Int { connections.count }

    /// The connection with this ID, to read its state and statistics.
    public func connection(_ id: ConnectionID) -> Connection? { connections[id]?.connection }

    /// The peer address of a connection.
    public func address(of id: ConnectionID) -> Address? { connections[id]?.address }

    /// The IDs of all connections, in ascending order.
    public var connectionIDs: [ConnectionID] { connections.keys.sorted() }

    // MARK: - Commands

    /// Opens a connection to `address`; CONNECT goes out on the next ``pollTransmit(at:)``.
    public func connect(to address: Address, at now: Timestamp) -> ConnectionID {
        let id = newConnectionID()
        let connection = Connection(clientWith: configuration.connection, localID: id, at: now, security: security?.handshake)
        connections[id] = Entry(connection: connection, address: address, handshakeKey: nil, announced: true)
        touch(id)
        return id
    }

    /// Queues a message on a connection. See ``Connection/send(_:channel:mode:)``.
    @discardableResult
    public func send(_ message: [UInt8], on id: ConnectionID, channel: UInt8 = 0, mode: DeliveryMode = .reliableOrdered) throws(SendError) -> MessageID {
        guard let entry = connections[id] else { throw .connectionClosed }
        let messageID = try entry.connection.send(message, channel: channel, mode: mode)
        touch(id)
        return messageID
    }

    /// Returns a consumed message's bytes to its connection's flow-control window. See
    /// ``Connection/releaseCredit(_:)``.
    public func releaseCredit(_ message: ReceivedMessage, on id: ConnectionID) {
        guard let entry = connections[id] else { return }
        entry.connection.releaseCredit(message)
        touch(id)
    }

    /// Closes a connection gracefully. See ``Connection/close(at:)``.
    public func close(_ id: ConnectionID, at now: Timestamp) {
        guard let entry = connections[id] else { return }
        entry.connection.close(at: now)
        touch(id)
    }

    /// Aborts a connection. See ``Connection/abort(at:with:)``.
    public func abort(_ id: ConnectionID, at now: Timestamp, with frame: CloseFrame = CloseFrame(code: .aborted)) {
        guard let entry = connections[id] else { return }
        entry.connection.abort(at: now, with: frame)
        touch(id)
    }

    // MARK: - Input

    /// Routes one datagram received from `address`.
    public func handle(datagram: [UInt8], from address: Address, at now: Timestamp) {
        statistics.datagramsReceived += 1
        statistics.bytesReceived += datagram.count
        if hasSecurity, let security {
            handleSecure(datagram: datagram, from: address, at: now, security: security)
            return
        }
        let packet: Packet
        do {
            packet = try Datagram.open(datagram)
        } catch {
            statistics.malformedDatagrams += 1
            answerProtectedConnect(datagram, from: address)
            return
        }
        if packet.flags != .plain {
            statistics.malformedDatagrams += 1
            return
        }
        if case .connect(let params, _) = packet.body {
            // A cookie, if any, is ignored: this server does not send plain RETRYs.
            acceptConnect(packet, params, size: datagram.count, from: address, at: now)
            return
        }
        guard let entry = connections[packet.destination] else {
            statistics.unroutableDatagrams += 1
            return
        }
        let accepted = entry.connection.packetsAccepted
        entry.connection.handle(packet: packet, size: datagram.count, at: now)
        if entry.address != address && entry.connection.packetsAccepted > accepted {
            // Follow the peer to a new address (NAT rebinding) only for a new, valid packet,
            // never for a duplicate or a replay.
            connections[packet.destination]?.address = address
        }
        touch(packet.destination)
    }

    private func acceptConnect(_ packet: Packet, _ params: TransportParameters, size: Int, from address: Address, at now: Timestamp) {
        let key = HandshakeKey(address: address, clientID: params.sourceConnectionID)
        if let existing = handshakes[key], let entry = connections[existing] {
            entry.connection.handle(packet: packet, size: size, at: now)
            touch(existing)
            return
        }
        guard configuration.acceptsConnections, connections.count < configuration.maxConnections else {
            statistics.connectionsRefused += 1
            return
        }
        let id = newConnectionID()
        let connection = Connection(serverWith: configuration.connection, localID: id, connect: params, at: now)
        connections[id] = Entry(connection: connection, address: address, handshakeKey: key, announced: false)
        handshakes[key] = id
        statistics.connectionsAccepted += 1
        touch(id)
    }

    // MARK: - Secure input

    /// `Specs/PROTOCOL.md` section 20.3–20.5: route by the header; verify before anything else.
    private func handleSecure(datagram: [UInt8], from address: Address, at now: Timestamp, security: EndpointSecurity<Address>) {
        let parsedHeader = datagram.withUnsafeBytes { raw in
            Result { () throws(WireError) -> Packet.Header in try Packet.parseHeader(raw) }
        }
        guard case .success(let header) = parsedHeader, datagram.count <= Packet.maximumDatagramSize else {
            statistics.malformedDatagrams += 1
            return
        }
        if header.type == .connect {
            if header.flags.contains(.protected) {
                handleSecureConnect(datagram, header: header, from: address, at: now, security: security)
            } else {
                answerPlainConnect(datagram, from: address)
            }
            return
        }
        guard let entry = connections[header.destination] else {
            statistics.unroutableDatagrams += 1
            return
        }
        let accepted = entry.connection.packetsAccepted
        entry.connection.handle(datagram: datagram, at: now)
        if entry.address != address && entry.connection.packetsAccepted > accepted && entry.connection.role == .server {
            // Only a packet that verified (and was new) may move the peer's address, and only a
            // server follows its client (NAT rebinding): a client keeps the address it connected
            // to, so an attacker racing a copy of a genuine packet from another address cannot
            // divert it (PROTOCOL.md section 20.5).
            connections[header.destination]?.address = address
        }
        touch(header.destination)
    }

    private func handleSecureConnect(_ datagram: [UInt8], header: Packet.Header, from address: Address, at now: Timestamp,
                                     security: EndpointSecurity<Address>) {
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
              case let .secureConnect(params, clientRandom, cookie) = packet.body else {
            statistics.malformedDatagrams += 1
            return
        }
        guard header.flags == security.handshake.flags else {
            answerStatelessClose(.securityModeMismatch, "security mode mismatch", to: params.sourceConnectionID,
                                 from: address, limit: datagram.count)
            return
        }
        let key = HandshakeKey(address: address, clientID: params.sourceConnectionID)
        if let existing = handshakes[key], let entry = connections[existing] {
            entry.connection.handle(packet: packet, size: datagram.count, at: now)
            touch(existing)
            return
        }
        if endedHandshakes.contains(key) {
            statistics.replayedHandshakes += 1   // that connection is over: a replay, not a new client
            return
        }
        let addressBytes = security.addressBytes(address)
        let check: CookieCheck = cookie.isEmpty
            ? .invalid
            : security.handshake.checkCookie(cookie, address: addressBytes, clientConnectionID: params.sourceConnectionID, at: now)
        guard check == .valid else {
            // Unverified address: a RETRY (about 60 bytes, far below the 1,200 received), no state.
            if !cookie.isEmpty { statistics.invalidCookies += 1 }
            let fresh = security.handshake.issueCookie(address: addressBytes, clientConnectionID: params.sourceConnectionID, at: now)
            var retry = Packet(destination: params.sourceConnectionID, packetNumber: 0, body: .retry(cookie: fresh),
                               flags: security.handshake.flags).serialized()
            security.handshake.appendConnectKeyTag(&retry)
            if enqueueStatelessAnswer(retry, to: address, limit: datagram.count) { statistics.retriesSent += 1 }
            return
        }
        guard connections.count < configuration.maxConnections else {
            statistics.connectionsRefused += 1
            return
        }
        let id = newConnectionID()
        let serverRandom = security.handshake.nextRandom()
        guard let protection = security.handshake.sessionProtection(clientRandom: clientRandom, serverRandom: serverRandom,
                                                                    clientConnectionID: params.sourceConnectionID,
                                                                    serverConnectionID: id, isClient: false) else {
            statistics.malformedDatagrams += 1
            return
        }
        let connection = Connection(serverWith: configuration.connection, localID: id, connect: params, at: now,
                                    security: security.handshake, protection: protection, serverRandom: serverRandom)
        connections[id] = Entry(connection: connection, address: address, handshakeKey: key, announced: false)
        handshakes[key] = id
        statistics.connectionsAccepted += 1
        touch(id)
    }

    /// A secure server got a plain CONNECT: tell the client, statelessly and in clear, that it
    /// needs security. Only for a CONNECT that is intact, so the answer is never larger than it.
    private func answerPlainConnect(_ datagram: [UInt8], from address: Address) {
        guard configuration.acceptsConnections,
              let packet = try? Datagram.open(datagram), case .connect(let params, _) = packet.body else {
            statistics.malformedDatagrams += 1
            return
        }
        answerStatelessClose(.securityRequired, "security required", to: params.sourceConnectionID, from: address, limit: datagram.count)
    }

    /// A plain server got a datagram that is not a valid plain datagram: if it is a protected
    /// CONNECT, tell the client (statelessly, in clear) that this server has no security.
    private func answerProtectedConnect(_ datagram: [UInt8], from address: Address) {
        guard configuration.acceptsConnections, datagram.count == Packet.protectedConnectDatagramSize,
              datagram[1] == PacketType.connect.rawValue, datagram[2] & PacketFlags.protected.rawValue != 0,
              let packet = try? Packet.parse(Array(datagram.dropLast(Packet.protectionTagSize))),
              case let .secureConnect(params, _, _) = packet.body else { return }
        answerStatelessClose(.securityNotConfigured, "security not configured", to: params.sourceConnectionID,
                             from: address, limit: datagram.count)
    }

    private func answerStatelessClose(_ code: CloseCode, _ reason: String, to client: ConnectionID, from address: Address, limit: Int) {
        var close = Packet(destination: client, packetNumber: 0, body: .data([.close(CloseFrame(code: code, reason: reason))])).serialized()
        Datagram.seal(&close)
        if close.count > limit {
            close = Packet(destination: client, packetNumber: 0, body: .data([.close(CloseFrame(code: code))])).serialized()
            Datagram.seal(&close)
        }
        if enqueueStatelessAnswer(close, to: address, limit: limit) { statistics.securityMismatchesAnswered += 1 }
    }

    /// Queues an answer to a datagram of `limit` bytes from an unverified address; never more
    /// bytes than that (no amplification), never more than ``statelessAnswerLimit`` queued.
    private func enqueueStatelessAnswer(_ datagram: [UInt8], to address: Address, limit: Int) -> Bool {
        guard datagram.count <= limit, statelessAnswers.count < Self.statelessAnswerLimit else {
            statistics.statelessAnswersDropped += 1
            return false
        }
        statelessAnswers.append((datagram, address))
        hasStatelessAnswers = true
        return true
    }

    /// Runs every connection timer that has expired by `now`.
    public func handleTimeout(at now: Timestamp) {
        // Collect first, then fire each once: a connection's deadline may stay due until its
        // output is polled, and must not be fired again in the same call.
        var due: [ConnectionID] = []
        while let top = timers.min, top.deadline <= now {
            _ = timers.popMin()
            guard scheduled[top.id]?.generation == top.generation, connections[top.id] != nil else { continue }
            scheduled[top.id] = nil
            due.append(top.id)
        }
        for id in due {
            connections[id]?.connection.handleTimeout(at: now)
            touch(id)
        }
    }

    // MARK: - Output

    /// The next datagram to send and its destination, or nil when nothing is ready.
    public func pollTransmit(at now: Timestamp) -> (datagram: [UInt8], destination: Address)? {
        if hasStatelessAnswers, let answer = statelessAnswers.popFirst() {
            hasStatelessAnswers = !statelessAnswers.isEmpty
            statistics.datagramsSent += 1
            statistics.bytesSent += answer.datagram.count
            return answer
        }
        while let id = transmitQueue.first {
            guard let entry = connections[id] else {
                transmitQueue.removeFirst()
                inTransmitQueue.remove(id)
                continue
            }
            if let datagram = entry.connection.pollTransmit(at: now) {
                // Round robin: move to the back so every connection gets its turn.
                transmitQueue.removeFirst()
                transmitQueue.append(id)
                statistics.datagramsSent += 1
                statistics.bytesSent += datagram.count
                if entry.connection.isClosed { markEvents(id) }
                return (datagram, entry.address)
            }
            transmitQueue.removeFirst()
            inTransmitQueue.remove(id)
            schedule(id)
            markEvents(id)
        }
        return nil
    }

    /// The next connection event, or nil. A `.closed` event is the last of its connection, which
    /// is then forgotten.
    public func pollEvent() -> (ConnectionID, ConnectionEvent)? {
        while let id = eventQueue.first {
            guard let entry = connections[id] else {
                eventQueue.removeFirst()
                inEventQueue.remove(id)
                continue
            }
            if let event = entry.connection.pollEvent() {
                if case .closed = event {
                    remove(id)
                    if !entry.announced { continue }   // a handshake that never completed
                } else {
                    markTransmit(id)   // taking a message may free flow-control credit
                }
                if case .connected = event { connections[id]?.announced = true }
                return (id, event)
            }
            eventQueue.removeFirst()
            inEventQueue.remove(id)
        }
        return nil
    }

    /// The earliest deadline among all connections, or nil.
    public func nextDeadline() -> Timestamp? {
        while let top = timers.min {
            if scheduled[top.id]?.generation == top.generation { return top.deadline }
            _ = timers.popMin()
        }
        return nil
    }

    // MARK: - Bookkeeping

    private func newConnectionID() -> ConnectionID {
        while true {
            let id = ConnectionID(rng.next())
            if id != .none && connections[id] == nil { return id }
        }
    }

    private func touch(_ id: ConnectionID) {
        markTransmit(id)
        markEvents(id)
        schedule(id)
    }

    private func markTransmit(_ id: ConnectionID) {
        if inTransmitQueue.insert(id).inserted { transmitQueue.append(id) }
    }

    private func markEvents(_ id: ConnectionID) {
        if inEventQueue.insert(id).inserted { eventQueue.append(id) }
    }

    private func schedule(_ id: ConnectionID) {
        guard let entry = connections[id], let deadline = entry.connection.nextDeadline() else {
            scheduled[id] = nil
            return
        }
        // Lazy rescheduling: most datagrams move a deadline later (the idle timer, say). Keep the
        // earlier entry then: it fires early, the connection finds nothing due, and is scheduled
        // again. Only an earlier deadline needs a new heap entry.
        if let current = scheduled[id], current.deadline <= deadline { return }
        generationCounter += 1
        scheduled[id] = (generationCounter, deadline)
        timers.insert(TimerEntry(deadline: deadline, id: id, generation: generationCounter))
        if timers.count > 2 * connections.count + 64 { compactTimers() }
    }

    private func rememberEndedHandshake(_ key: HandshakeKey) {
        guard endedHandshakes.insert(key).inserted else { return }
        endedHandshakeOrder.append(key)
        if endedHandshakeOrder.count > Self.endedHandshakeLimit, let oldest = endedHandshakeOrder.popFirst() {
            endedHandshakes.remove(oldest)
        }
    }

    /// Drops stale timer entries so the heap stays proportional to the number of connections.
    private func compactTimers() {
        let live = timers.unordered.filter { scheduled[$0.id]?.generation == $0.generation }
        timers = Heap(live)
    }

    private func remove(_ id: ConnectionID) {
        guard let entry = connections.removeValue(forKey: id) else { return }
        if let key = entry.handshakeKey {
            handshakes[key] = nil
            if hasSecurity { rememberEndedHandshake(key) }
        }
        scheduled[id] = nil
    }
}
