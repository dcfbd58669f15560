import DequeModule
import HeapModule
import RUDPWire

/// Many connections over one socket: routes datagrams by connection ID, accepts new peers
/// (when configured as a server), and multiplexes the connections' output and timers.
///
/// Like ``Connection`` it is sans-IO: the caller moves datagrams between it and a socket (or a
/// simulated network) and passes the time in. `Address` is whatever identifies a peer to the
/// caller (a socket address for the UDP transport, a node number in the simulator); it tells the
/// endpoint the bytes a retry cookie binds and which host and network it belongs to
/// (``EndpointAddress``).
///
/// The endpoint draws connection IDs (and its cookie secret) from `randomness`: a seeded
/// generator in tests and simulations, the system's secure generator in the transport. IDs have
/// the layout of `Specs/PROTOCOL.md` section 7.1 (worker index in the top 4 bits, 60 random bits).
///
/// ```swift
/// let server = Endpoint<Int>(configuration: EndpointConfiguration(acceptsConnections: true), randomness: SeededGenerator(seed: 1))
/// let client = Endpoint<Int>(configuration: EndpointConfiguration(), randomness: SeededGenerator(seed: 2))
/// let id = client.connect(to: 0, at: .zero)
/// try client.send(Array("hi".utf8), on: id)
/// while let (datagram, _) = client.pollTransmit(at: .zero) {
///     server.handle(datagram: datagram, from: 1, at: .zero)
/// }
/// while let (connection, event) = server.pollEvent() { print(connection, event) }
/// ```
///
/// A server bounds its connections (``EndpointConfiguration``): half-open ones (the oldest is
/// evicted when they are too many), all of them, and those of one host and of one network
/// (refused beyond). Before a client's address is verified (a valid retry cookie, or its first
/// DATA packet, which proves it got the ACCEPT) the server never sends it more than three times
/// the bytes it received from it.
///
/// With an ``EndpointSecurity`` the endpoint runs the secure handshake of `Specs/PROTOCOL.md`
/// section 20: a server answers a CONNECT only if its connect-key tag verifies, answers an
/// unverified address statelessly with RETRY, and creates a connection (and derives keys) only
/// for a CONNECT with a valid cookie.
public final class Endpoint<Address: EndpointAddress> {
    /// What a connection counts against.
    private enum Kind {
        /// Opened by this endpoint: no server limits.
        case client
        /// Server connection in Accepting.
        case halfOpen
        /// Server connection past Accepting.
        case established
    }

    private struct Entry {
        let id: ConnectionID
        let connection: Connection
        var address: Address
        var handshakeKey: HandshakeKey?
        /// Whether the application has been told of the connection (a server connection is
        /// announced with its `.connected` event; one that never completes stays silent).
        var announced: Bool
        var kind: Kind
        /// The host and prefix keys the connection is counted under (server connections).
        var host: AddressKey?
        var prefix: AddressKey?
        /// Anti-amplification: nil once the peer's address is verified, else the bytes the
        /// connection may still send to it (3 × received − sent).
        var unverifiedCredit: Int?
        var inTransmitQueue = false
        var inEventQueue = false
        /// The live timer entry: its generation (0 when none) and deadline.
        var timerGeneration: UInt64 = 0
        var timerDeadline = Timestamp.zero
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

    /// Why a connection leaves the table.
    private enum Removal { case ended, evicted }

    /// Before an address is verified, a server sends it at most this many times the bytes it
    /// received from it (RFC 9000 section 8.1).
    public static var amplificationFactor: Int { 3 }

    public let configuration: EndpointConfiguration
    private var randomness: any RandomNumberGenerator
    /// Connection ID → slot in `entries`.
    private var table = ConnectionTable()
    private var entries: [Entry?] = []
    private var freeSlots: [Int] = []
    private var handshakes: [HandshakeKey: ConnectionID] = [:]
    private var transmitQueue: Deque<ConnectionID> = []
    private var eventQueue: Deque<ConnectionID> = []
    private var timers = Heap<TimerEntry>()
    private var generationCounter: UInt64 = 0
    private let security: EndpointSecurity?
    /// `security != nil` as a plain Bool: the plain hot path tests only this.
    private let hasSecurity: Bool
    /// `!statelessAnswers.isEmpty`, for the same reason.
    private var hasStatelessAnswers = false
    /// Stateless answers (RETRY, CLOSE), sent before any connection's output.
    private var statelessAnswers: Deque<(datagram: [UInt8], destination: Address)> = []
    /// Most stateless answers queued at once; more are dropped (and counted).
    static var statelessAnswerLimit: Int { 1024 }
    /// The (address, client connection ID) of the most recent handshakes whose connection has
    /// ended. A client never reuses its connection ID, so a CONNECT for one of them is a replay
    /// (in secure mode its cookie may still be valid) and must not create a new connection.
    private var endedHandshakes: Set<HandshakeKey> = []
    private var endedHandshakeOrder: Deque<HandshakeKey> = []
    /// Server limits: connections per state, per host, per network.
    private var halfOpenCount = 0
    private var establishedCount = 0
    private var hostCounts: [AddressKey: Int] = [:]
    private var prefixCounts: [AddressKey: Int] = [:]
    /// Half-open connections, oldest first: those whose address is not verified, and those whose
    /// is (a valid cookie). Eviction takes the unverified first: a spoofed CONNECT never pushes
    /// out a client that proved its address. Both hold stale IDs of connections that moved on,
    /// compacted when they outnumber the live ones.
    private var unverifiedHalfOpen: Deque<ConnectionID> = []
    private var verifiedHalfOpen: Deque<ConnectionID> = []
    /// Plain servers: the retry cookie secret (made on the first CONNECT).
    private var plainCookieIssuer: PlainRetryCookie?
    /// Endpoint-wide counters.
    public private(set) var statistics = EndpointStatistics()

    /// Creates an endpoint whose connection IDs are drawn from `randomness`: pass a
    /// ``SeededGenerator`` for a reproducible run, `SystemRandomNumberGenerator()` (the
    /// operating system's secure generator) for a real one. With `security`, every connection is
    /// authenticated (and encrypted, in that mode) with the security's key.
    ///
    /// The configuration must pass ``EndpointConfiguration/validate()``.
    public init(configuration: EndpointConfiguration, randomness: some RandomNumberGenerator, security: EndpointSecurity? = nil) {
        precondition(configuration.validate() == nil, "invalid EndpointConfiguration: \(configuration.validate() ?? "")")
        self.configuration = configuration
        self.randomness = randomness
        self.security = security
        self.hasSecurity = security != nil
    }

    /// Whether the endpoint protects its connections.
    public var isSecure: Bool { hasSecurity }

    /// The type of the random source connection IDs are drawn from (for diagnostics and tests:
    /// the transport must use the system's secure generator).
    public var randomSourceName: String { String(describing: type(of: randomness)) }

    /// Number of connections (in any state).
    public var connectionCount: Int { table.count }

    /// Number of server connections in Accepting (half-open).
    public var halfOpenConnectionCount: Int { halfOpenCount }

    /// The connection with this ID, to read its state and statistics.
    public func connection(_ id: ConnectionID) -> Connection? { entry(id)?.connection }

    /// The peer address of a connection.
    public func address(of id: ConnectionID) -> Address? { entry(id)?.address }

    /// Whether the peer address of a connection is verified (always, for a client connection).
    public func isAddressVerified(_ id: ConnectionID) -> Bool { entry(id).map { $0.unverifiedCredit == nil } ?? false }

    /// The IDs of all connections, in ascending order.
    public var connectionIDs: [ConnectionID] { table.entries.map(\.id).sorted() }

    @inline(__always)
    private func entry(_ id: ConnectionID) -> Entry? {
        guard let slot = table.find(id) else { return nil }
        return entries[slot]
    }

    // MARK: - Commands

    /// Opens a connection to `address`; CONNECT goes out on the next ``pollTransmit(at:)``.
    public func connect(to address: Address, at now: Timestamp) -> ConnectionID {
        let id = newConnectionID()
        let connection = Connection(clientWith: configuration.connection, localID: id, at: now, security: security?.handshake)
        insert(Entry(id: id, connection: connection, address: address, handshakeKey: nil, announced: true, kind: .client))
        touch(id)
        return id
    }

    /// Queues a message on a connection. See ``Connection/send(_:channel:mode:)``.
    @discardableResult
    public func send(_ message: [UInt8], on id: ConnectionID, channel: UInt8 = 0, mode: DeliveryMode = .reliableOrdered) throws(SendError) -> MessageID {
        guard let entry = entry(id) else { throw .connectionClosed }
        let messageID = try entry.connection.send(message, channel: channel, mode: mode)
        touch(id)
        return messageID
    }

    /// Returns a consumed message's bytes to its connection's flow-control window. See
    /// ``Connection/releaseCredit(_:)``.
    public func releaseCredit(_ message: ReceivedMessage, on id: ConnectionID) {
        guard let entry = entry(id) else { return }
        entry.connection.releaseCredit(message)
        touch(id)
    }

    /// Closes a connection gracefully. See ``Connection/close(at:)``.
    public func close(_ id: ConnectionID, at now: Timestamp) {
        guard let entry = entry(id) else { return }
        entry.connection.close(at: now)
        touch(id)
    }

    /// Aborts a connection. See ``Connection/abort(at:with:)``.
    public func abort(_ id: ConnectionID, at now: Timestamp, with frame: CloseFrame = CloseFrame(code: .aborted)) {
        guard let entry = entry(id) else { return }
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
        if case .connect(let params, let cookie) = packet.body {
            acceptConnect(packet, params, cookie: cookie, size: datagram.count, from: address, at: now)
            return
        }
        guard let slot = table.find(packet.destination), let entry = entries[slot] else {
            statistics.unroutableDatagrams += 1
            return
        }
        let accepted = entry.connection.packetsAccepted
        entry.connection.handle(packet: packet, size: datagram.count, at: now)
        afterRouted(slot, entry, size: datagram.count, from: address, newPacket: entry.connection.packetsAccepted > accepted)
        touch(packet.destination)
    }

    /// Bookkeeping after a datagram was routed to a connection: address verification and
    /// following, and the move from half-open to established.
    @inline(__always)
    private func afterRouted(_ slot: Int, _ entry: Entry, size: Int, from address: Address, newPacket: Bool) {
        if entry.kind == .client { return }
        let sameAddress = entry.address == address
        if var credit = entry.unverifiedCredit, sameAddress {
            credit += Self.amplificationFactor * size
            entries[slot]!.unverifiedCredit = credit
        }
        if entry.kind == .halfOpen && entry.connection.state != .accepting {
            // The first DATA packet: the client has the ACCEPT, so it received at its address.
            entries[slot]!.kind = .established
            halfOpenCount -= 1
            establishedCount += 1
            if sameAddress && newPacket { entries[slot]!.unverifiedCredit = nil }
        }
        if !sameAddress && newPacket {
            // Follow the peer to a new address (NAT rebinding) only for a new, valid packet,
            // never for a duplicate or a replay; only a server follows (PROTOCOL.md 7.1, 20.5).
            entries[slot]!.address = address
            if entry.unverifiedCredit != nil { entries[slot]!.unverifiedCredit = Self.amplificationFactor * size }
        }
    }

    /// A plain CONNECT (`Specs/PROTOCOL.md` section 7.2): a retransmission goes to its
    /// connection; a replay of an ended handshake is dropped; otherwise, when the retry policy
    /// asks for it and the cookie is not valid, a stateless RETRY; then the limits; then a new
    /// half-open connection (address verified if the cookie was valid).
    private func acceptConnect(_ packet: Packet, _ params: TransportParameters, cookie: [UInt8], size: Int,
                               from address: Address, at now: Timestamp) {
        let key = HandshakeKey(address: address, clientID: params.sourceConnectionID)
        if let existing = handshakes[key], let slot = table.find(existing), let entry = entries[slot] {
            // A retransmitted CONNECT: the connection sends ACCEPT again.
            if let credit = entry.unverifiedCredit { entries[slot]!.unverifiedCredit = credit + Self.amplificationFactor * size }
            entry.connection.handle(packet: packet, size: size, at: now)
            touch(existing)
            return
        }
        guard configuration.acceptsConnections else {
            statistics.connectionsRefused += 1
            return
        }
        if endedHandshakes.contains(key) {
            statistics.replayedHandshakes += 1   // that connection is over: a replay, not a new client
            return
        }
        var verified = false
        if !cookie.isEmpty {
            let check = plainCookies(at: now).check(cookie, address: address.cookieBytes, clientConnectionID: params.sourceConnectionID, at: now)
            if check == .valid { verified = true } else { statistics.invalidCookies += 1 }
        }
        if !verified && configuration.retryPolicy.requiresCookie(halfOpen: halfOpenCount) {
            // Stateless: a 40-byte RETRY for a CONNECT of at least 51 bytes.
            var issuer = plainCookies(at: now)
            let fresh = issuer.issue(address: address.cookieBytes, clientConnectionID: params.sourceConnectionID, at: now, using: &randomness)
            plainCookieIssuer = issuer
            var retry = Packet(destination: params.sourceConnectionID, packetNumber: 0, body: .retry(cookie: fresh)).serialized()
            Datagram.seal(&retry)
            if enqueueStatelessAnswer(retry, to: address, answering: size) { statistics.retriesSent += 1 }
            return
        }
        guard let limits = admit(address, clientID: params.sourceConnectionID, answering: size) else { return }
        let id = newConnectionID()
        let connection = Connection(serverWith: configuration.connection, localID: id, connect: params, at: now)
        create(Entry(id: id, connection: connection, address: address, handshakeKey: key, announced: false, kind: .halfOpen,
                     host: limits.host, prefix: limits.prefix, unverifiedCredit: verified ? nil : Self.amplificationFactor * size))
    }

    /// The plain-mode cookie issuer, made (with a secret from the endpoint's randomness) on first use.
    private func plainCookies(at now: Timestamp) -> PlainRetryCookie {
        if let issuer = plainCookieIssuer { return issuer }
        let issuer = PlainRetryCookie(lifetime: configuration.cookieLifetime, at: now, using: &randomness)
        plainCookieIssuer = issuer
        return issuer
    }

    // MARK: - Secure input

    /// `Specs/PROTOCOL.md` section 20.3–20.5: route by the header; verify before anything else.
    private func handleSecure(datagram: [UInt8], from address: Address, at now: Timestamp, security: EndpointSecurity) {
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
        guard let slot = table.find(header.destination), let entry = entries[slot] else {
            statistics.unroutableDatagrams += 1
            return
        }
        let accepted = entry.connection.packetsAccepted
        entry.connection.handle(datagram: datagram, at: now)
        // Only a packet that verified (and was new) may move the peer's address, and only a
        // server follows its client (NAT rebinding): a client keeps the address it connected
        // to, so an attacker racing a copy of a genuine packet from another address cannot
        // divert it (PROTOCOL.md section 20.5).
        afterRouted(slot, entry, size: datagram.count, from: address, newPacket: entry.connection.packetsAccepted > accepted)
        touch(header.destination)
    }

    private func handleSecureConnect(_ datagram: [UInt8], header: Packet.Header, from address: Address, at now: Timestamp,
                                     security: EndpointSecurity) {
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
            if answerStatelessClose(.securityModeMismatch, "security mode mismatch", to: params.sourceConnectionID,
                                    from: address, answering: datagram.count) {
                statistics.securityMismatchesAnswered += 1
            }
            return
        }
        let key = HandshakeKey(address: address, clientID: params.sourceConnectionID)
        if let existing = handshakes[key], let entry = entry(existing) {
            entry.connection.handle(packet: packet, size: datagram.count, at: now)
            touch(existing)
            return
        }
        if endedHandshakes.contains(key) {
            statistics.replayedHandshakes += 1   // that connection is over: a replay, not a new client
            return
        }
        let addressBytes = address.cookieBytes
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
            if enqueueStatelessAnswer(retry, to: address, answering: datagram.count) { statistics.retriesSent += 1 }
            return
        }
        guard let limits = admit(address, clientID: params.sourceConnectionID, answering: datagram.count) else { return }
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
        create(Entry(id: id, connection: connection, address: address, handshakeKey: key, announced: false, kind: .halfOpen,
                     host: limits.host, prefix: limits.prefix, unverifiedCredit: nil))
    }

    /// A secure server got a plain CONNECT: tell the client, statelessly and in clear, that it
    /// needs security. Only for a CONNECT that is intact.
    private func answerPlainConnect(_ datagram: [UInt8], from address: Address) {
        guard configuration.acceptsConnections,
              let packet = try? Datagram.open(datagram), case .connect(let params, _) = packet.body else {
            statistics.malformedDatagrams += 1
            return
        }
        if answerStatelessClose(.securityRequired, "security required", to: params.sourceConnectionID, from: address, answering: datagram.count) {
            statistics.securityMismatchesAnswered += 1
        }
    }

    /// A plain server got a datagram that is not a valid plain datagram: if it is a protected
    /// CONNECT, tell the client (statelessly, in clear) that this server has no security.
    private func answerProtectedConnect(_ datagram: [UInt8], from address: Address) {
        guard configuration.acceptsConnections, datagram.count == Packet.protectedConnectDatagramSize,
              datagram[1] == PacketType.connect.rawValue, datagram[2] & PacketFlags.protected.rawValue != 0,
              let packet = try? Packet.parse(Array(datagram.dropLast(Packet.protectionTagSize))),
              case let .secureConnect(params, _, _) = packet.body else { return }
        if answerStatelessClose(.securityNotConfigured, "security not configured", to: params.sourceConnectionID,
                                from: address, answering: datagram.count) {
            statistics.securityMismatchesAnswered += 1
        }
    }

    /// Queues a plain CLOSE with `code` to a client that is not connected; returns whether it was queued.
    @discardableResult
    private func answerStatelessClose(_ code: CloseCode, _ reason: String, to client: ConnectionID, from address: Address, answering size: Int) -> Bool {
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
    private func enqueueStatelessAnswer(_ datagram: [UInt8], to address: Address, answering size: Int) -> Bool {
        guard datagram.count <= Self.amplificationFactor * size, statelessAnswers.count < Self.statelessAnswerLimit else {
            statistics.statelessAnswersDropped += 1
            return false
        }
        statelessAnswers.append((datagram, address))
        hasStatelessAnswers = true
        return true
    }

    // MARK: - Admission (server limits)

    /// Checks the server's limits for a new connection from `address` (its CONNECT is `size`
    /// bytes), evicting the oldest half-open connection when that makes room. Returns the keys to
    /// count the connection under, or nil when it is refused (counted, and answered with
    /// CLOSE(refused) if so configured).
    private func admit(_ address: Address, clientID: ConnectionID, answering size: Int) -> (host: AddressKey, prefix: AddressKey)? {
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
        while halfOpenCount > 0 && (halfOpenCount >= configuration.maxHalfOpenConnections
                                    || halfOpenCount + establishedCount >= configuration.maxConnections) {
            evictOldestHalfOpen()
        }
        return (host, prefix)
    }

    private func refuse(_ clientID: ConnectionID, from address: Address, answering size: Int) {
        statistics.connectionsRefused += 1
        if configuration.answersRefusedConnects,
           answerStatelessClose(.refused, "too many connections", to: clientID, from: address, answering: size) {
            statistics.refusalsAnswered += 1
        }
    }

    private func evictOldestHalfOpen() {
        while let id = unverifiedHalfOpen.popFirst() ?? verifiedHalfOpen.popFirst() {
            guard let entry = entry(id), entry.kind == .halfOpen else { continue }
            statistics.halfOpenEvicted += 1
            remove(id, .evicted)
            return
        }
    }

    /// Adds a new server connection, counted under its limits; its ACCEPT goes out on the next poll.
    private func create(_ entry: Entry) {
        insert(entry)
        if let host = entry.host { hostCounts[host, default: 0] += 1 }
        if let prefix = entry.prefix { prefixCounts[prefix, default: 0] += 1 }
        halfOpenCount += 1
        if entry.unverifiedCredit == nil {
            verifiedHalfOpen.append(entry.id)
        } else {
            unverifiedHalfOpen.append(entry.id)
        }
        if unverifiedHalfOpen.count + verifiedHalfOpen.count > 2 * halfOpenCount + 64 {
            unverifiedHalfOpen = Deque(unverifiedHalfOpen.filter { self.entry($0)?.kind == .halfOpen })
            verifiedHalfOpen = Deque(verifiedHalfOpen.filter { self.entry($0)?.kind == .halfOpen })
        }
        if let key = entry.handshakeKey { handshakes[key] = entry.id }
        statistics.connectionsAccepted += 1
        touch(entry.id)
    }

    // MARK: - Timers

    /// Runs every connection timer that has expired by `now`.
    public func handleTimeout(at now: Timestamp) {
        // Collect first, then fire each once: a connection's deadline may stay due until its
        // output is polled, and must not be fired again in the same call.
        var due: [ConnectionID] = []
        while let top = timers.min, top.deadline <= now {
            _ = timers.popMin()
            guard let slot = table.find(top.id), entries[slot]!.timerGeneration == top.generation else { continue }
            entries[slot]!.timerGeneration = 0
            due.append(top.id)
        }
        for id in due {
            entry(id)?.connection.handleTimeout(at: now)
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
            guard let slot = table.find(id), let entry = entries[slot] else {
                transmitQueue.removeFirst()
                continue
            }
            while let datagram = entry.connection.pollTransmit(at: now) {
                if let credit = entries[slot]!.unverifiedCredit {
                    guard datagram.count <= credit else {
                        // Anti-amplification: as if lost; the client's retransmission (which
                        // brings more credit) or its first DATA packet repairs it.
                        statistics.amplificationLimited += 1
                        continue
                    }
                    entries[slot]!.unverifiedCredit = credit - datagram.count
                }
                // Round robin: move to the back so every connection gets its turn.
                transmitQueue.removeFirst()
                transmitQueue.append(id)
                statistics.datagramsSent += 1
                statistics.bytesSent += datagram.count
                if entry.connection.isClosed { markEvents(id) }
                return (datagram, entry.address)
            }
            transmitQueue.removeFirst()
            entries[slot]!.inTransmitQueue = false
            schedule(id)
            markEvents(id)
        }
        return nil
    }

    /// The next connection event, or nil. A `.closed` event is the last of its connection, which
    /// is then forgotten.
    public func pollEvent() -> (ConnectionID, ConnectionEvent)? {
        while let id = eventQueue.first {
            guard let slot = table.find(id), let entry = entries[slot] else {
                eventQueue.removeFirst()
                continue
            }
            if let event = entry.connection.pollEvent() {
                if case .closed = event {
                    remove(id, .ended)
                    if !entry.announced { continue }   // a handshake that never completed
                } else {
                    markTransmit(id)   // taking a message may free flow-control credit
                }
                if case .connected = event { entries[slot]!.announced = true }
                return (id, event)
            }
            eventQueue.removeFirst()
            entries[slot]!.inEventQueue = false
        }
        return nil
    }

    /// The earliest deadline among all connections, or nil.
    public func nextDeadline() -> Timestamp? {
        while let top = timers.min {
            if let slot = table.find(top.id), entries[slot]!.timerGeneration == top.generation { return top.deadline }
            _ = timers.popMin()
        }
        return nil
    }

    // MARK: - Bookkeeping

    /// A fresh ID: the worker index in the top 4 bits, 60 random bits below (never all zero),
    /// unique among this endpoint's connections.
    private func newConnectionID() -> ConnectionID {
        while true {
            let bits = randomness.next() & ConnectionID.randomBitMask
            if bits == 0 { continue }
            let id = ConnectionID(workerIndex: configuration.workerIndex, randomBits: bits)
            if table.find(id) == nil { return id }
        }
    }

    private func insert(_ entry: Entry) {
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            entries[slot] = entry
        } else {
            slot = entries.count
            entries.append(entry)
        }
        table.insert(entry.id, value: slot)
    }

    private func touch(_ id: ConnectionID) {
        guard let slot = table.find(id) else { return }
        if !entries[slot]!.inTransmitQueue {
            entries[slot]!.inTransmitQueue = true
            transmitQueue.append(id)
        }
        if !entries[slot]!.inEventQueue {
            entries[slot]!.inEventQueue = true
            eventQueue.append(id)
        }
        schedule(slot: slot)
    }

    private func markTransmit(_ id: ConnectionID) {
        guard let slot = table.find(id), !entries[slot]!.inTransmitQueue else { return }
        entries[slot]!.inTransmitQueue = true
        transmitQueue.append(id)
    }

    private func markEvents(_ id: ConnectionID) {
        guard let slot = table.find(id), !entries[slot]!.inEventQueue else { return }
        entries[slot]!.inEventQueue = true
        eventQueue.append(id)
    }

    private func schedule(_ id: ConnectionID) {
        guard let slot = table.find(id) else { return }
        schedule(slot: slot)
    }

    private func schedule(slot: Int) {
        let entry = entries[slot]!
        guard let deadline = entry.connection.nextDeadline() else {
            entries[slot]!.timerGeneration = 0
            return
        }
        // Lazy rescheduling: most datagrams move a deadline later (the idle timer, say). Keep the
        // earlier entry then: it fires early, the connection finds nothing due, and is scheduled
        // again. Only an earlier deadline needs a new heap entry.
        if entry.timerGeneration != 0 && entry.timerDeadline <= deadline { return }
        generationCounter += 1
        entries[slot]!.timerGeneration = generationCounter
        entries[slot]!.timerDeadline = deadline
        timers.insert(TimerEntry(deadline: deadline, id: entry.id, generation: generationCounter))
        if timers.count > 2 * table.count + 64 { compactTimers() }
    }

    private func rememberEndedHandshake(_ key: HandshakeKey) {
        guard configuration.endedHandshakeMemory > 0, endedHandshakes.insert(key).inserted else { return }
        endedHandshakeOrder.append(key)
        if endedHandshakeOrder.count > configuration.endedHandshakeMemory, let oldest = endedHandshakeOrder.popFirst() {
            endedHandshakes.remove(oldest)
        }
    }

    /// Drops stale timer entries so the heap stays proportional to the number of connections.
    private func compactTimers() {
        let live = timers.unordered.filter { timer in
            guard let slot = table.find(timer.id) else { return false }
            return entries[slot]!.timerGeneration == timer.generation
        }
        timers = Heap(live)
    }

    private func remove(_ id: ConnectionID, _ removal: Removal) {
        guard let slot = table.remove(id), let entry = entries[slot] else { return }
        entries[slot] = nil
        freeSlots.append(slot)
        switch entry.kind {
        case .client: break
        case .halfOpen: halfOpenCount -= 1
        case .established: establishedCount -= 1
        }
        if let host = entry.host { Self.decrement(&hostCounts, host) }
        if let prefix = entry.prefix { Self.decrement(&prefixCounts, prefix) }
        if let key = entry.handshakeKey {
            handshakes[key] = nil
            // An evicted half-open connection did not end: its client's next CONNECT may create it again.
            if removal == .ended { rememberEndedHandshake(key) }
        }
    }

    private static func decrement(_ counts: inout [AddressKey: Int], _ key: AddressKey) {
        if let n = counts[key], n > 1 {
            counts[key] = n - 1
        } else {
            counts[key] = nil
        }
    }
}
