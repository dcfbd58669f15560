import NIOCore
import RUDPWire

/// One reliable connection: a sans-IO state machine with no sockets, no clock and no global state.
///
/// ## Contract
/// The methods fall into four kinds, after quinn-proto's `Connection`:
/// - **Input from the network and the clock**: ``handle(datagram:at:)`` for every datagram
///   routed to this connection, ``handleTimeout(at:)`` once ``nextDeadline()`` has passed.
/// - **Application commands**: ``send(_:channel:mode:)-(ByteBuffer,_,_)``, ``close(at:)``, ``abort(at:with:)``,
///   ``releaseCredit(_:)``.
/// - **Output, polled in this order after every input or command**: ``pollTransmit(at:)`` until it
///   returns nil (each call yields at most one datagram for the peer), then ``pollEvent()`` until
///   nil, then ``nextDeadline()``. Releasing a message's credit may let a MAX_DATA go, so poll
///   transmit again after releasing.
/// - **Getters**: ``state``, ``statistics``, ``localID``, ``peerID``.
///
/// Time is passed in with every call and must never go backwards. The connection never blocks
/// and never reads a clock; the same inputs always produce the same outputs. After
/// ``handleTimeout(at:)`` at `now` and draining ``pollTransmit(at:)``, ``nextDeadline()`` is nil
/// or later than `now`: a driver that sleeps until it never spins.
///
/// Connections are made and fed by an ``Endpoint``, which routes datagrams to them and checks
/// handshakes (the initialisers and `handle(packet:size:at:)` are internal: going around the
/// endpoint would go around its security checks).
///
/// The connection is a thin owner of one `ConnectionState` value, in which all the logic is
/// `mutating` methods, behind a pointer: a call here costs no run-time exclusivity check, however
/// much state it touches.
public final class Connection {
    /// Which side of the handshake this connection is.
    public enum Role: Sendable {
        /// The side that sent CONNECT.
        case client
        /// The side that accepted the CONNECT (made by an endpoint that accepts connections).
        case server
    }

    /// Lifecycle states; see `Specs/PROTOCOL.md`.
    public enum State: Sendable, Hashable {
        /// Client: CONNECT sent, waiting for ACCEPT.
        case connecting
        /// Server: ACCEPT sent, waiting for the client's first DATA packet.
        case accepting
        /// Handshake complete; messages flow both ways.
        case established
        /// Graceful close: CLOSE sent after everything was acknowledged; waiting for the peer.
        case closing
        /// A final CLOSE is about to be sent (peer closed, abort, protocol violation).
        case draining
        /// Finished; no further output.
        case closed
    }

    /// Which side of the handshake this connection is.
    public let role: Role
    /// The connection ID this side receives on.
    public let localID: ConnectionID
    /// The whole state, in memory the connection owns; every method below is one access to it.
    /// Held as a stored `var`, Swift would check exclusive access to it at run time on every
    /// call (a class's stored properties are checked dynamically: ~120 instructions each with
    /// the thread-local access set, 6.7 calls per message in the minimal driver); through the
    /// pointer only the static checks inside ``ConnectionState`` remain, as for
    /// ``Endpoint``'s core. That is sound because nothing the state calls reaches back into its
    /// connection: the receive-memory pool is asked for room only between two accesses (see
    /// ``handle(data:size:at:)``), and a connection is used from one thread at a time. Debug
    /// builds check it: an access that starts while another is under way traps, as Swift's own
    /// check would.
    private let storage: UnsafeMutablePointer<ConnectionState>
    #if DEBUG
    /// Whether an access to ``machine`` is under way (debug builds only).
    private var accessing = false
    #endif

    private var machine: ConnectionState {
        @inline(__always) _read {
            #if DEBUG
            precondition(!accessing, "overlapping access to a connection's state")
            #endif
            yield storage.pointee
        }
        @inline(__always) _modify {
            #if DEBUG
            precondition(!accessing, "overlapping access to a connection's state")
            accessing = true
            defer { accessing = false }
            #endif
            yield &storage.pointee
        }
    }

    deinit {
        storage.deinitialize(count: 1)
        storage.deallocate()
    }

    // MARK: - Creation (by the endpoint)

    /// A client connection that will send CONNECT on the first ``pollTransmit(at:)``.
    /// The configuration must pass ``ConnectionConfiguration/validate()``.
    ///
    /// With `security`, the connection runs the secure handshake: its CONNECT carries a fresh
    /// client random and the connect-key tag, it answers RETRY with the cookie, and it protects
    /// every packet once a valid ACCEPT arrived.
    convenience init(
        clientWith config: ConnectionConfiguration, localID: ConnectionID, at now: Timestamp,
        security: (any HandshakeSecurity)? = nil
    ) {
        self.init(clientWith: ConnectionSettings(config), localID: localID, at: now, security: security)
    }

    /// A client connection with a configuration shared by reference (an endpoint's).
    init(clientWith settings: ConnectionSettings, localID: ConnectionID, at now: Timestamp, security: (any HandshakeSecurity)? = nil) {
        role = .client
        self.localID = localID
        storage = .allocate(capacity: 1)
        storage.initialize(to: .client(settings: settings, localID: localID, at: now, security: security))
    }

    /// A server connection answering a CONNECT whose parameters are `connect`.
    /// The configuration must pass ``ConnectionConfiguration/validate()``.
    convenience init(serverWith config: ConnectionConfiguration, localID: ConnectionID, connect: TransportParameters, at now: Timestamp) {
        self.init(serverWith: ConnectionSettings(config), localID: localID, connect: connect, at: now)
    }

    /// A server connection with a configuration shared by reference (an endpoint's).
    init(serverWith settings: ConnectionSettings, localID: ConnectionID, connect: TransportParameters, at now: Timestamp) {
        role = .server
        self.localID = localID
        storage = .allocate(capacity: 1)
        storage.initialize(
            to: .server(
                settings: settings, localID: localID, connect: connect, at: now, security: nil, protection: nil,
                serverRandom: []))
    }

    /// A secure server connection answering a verified CONNECT (valid connect-key tag and retry
    /// cookie): `protection` holds the session keys derived from both randoms, `serverRandom` is
    /// sent in ACCEPT, authenticated with the handshake key.
    convenience init(
        serverWith config: ConnectionConfiguration, localID: ConnectionID, connect: TransportParameters, at now: Timestamp,
        security: any HandshakeSecurity, protection: any PacketProtection, serverRandom: [UInt8]
    ) {
        self.init(
            serverWith: ConnectionSettings(config), localID: localID, connect: connect, at: now, security: security,
            protection: protection, serverRandom: serverRandom)
    }

    /// A secure server connection with a configuration shared by reference (an endpoint's).
    init(
        serverWith settings: ConnectionSettings, localID: ConnectionID, connect: TransportParameters, at now: Timestamp,
        security: any HandshakeSecurity, protection: any PacketProtection, serverRandom: [UInt8]
    ) {
        role = .server
        self.localID = localID
        storage = .allocate(capacity: 1)
        storage.initialize(
            to: .server(
                settings: settings, localID: localID, connect: connect, at: now, security: security,
                protection: protection, serverRandom: serverRandom))
    }

    // MARK: - Getters

    /// The connection ID the peer receives on (`ConnectionID.none` until the client has the ACCEPT).
    public var peerID: ConnectionID { machine.peerID }
    /// The lifecycle state.
    public var state: State { machine.phase.state }
    /// When the connection was created, on the clock the caller passes in: the client's
    /// connect, or the server's first CONNECT from the peer (the transport's handshake-time metric).
    public var createdAt: Timestamp { Timestamp(nanoseconds: machine.createdAt) }
    /// The peer's announced parameters, once known.
    public var peerParameters: TransportParameters? { machine.peerParameters }
    /// Why the connection closed, once it has.
    public var closeReason: CloseReason? { machine.closeReason }
    /// Why the connection is ending: ``closeReason``, or the reason it will finish with once its
    /// final CLOSE has been sent.
    var endingReason: CloseReason? { machine.endingReason }
    /// Secure client, while connecting: a CLOSE that arrived in clear and reports a security
    /// mismatch or a refusal. It is not authenticated, so it never ends the attempt; if the
    /// connect times out the connection ends with ``CloseReason/peerClosed(_:_:)`` carrying it,
    /// as a diagnostic.
    public var handshakeDiagnostic: CloseFrame? { machine.handshakeDiagnostic }
    /// Whether the connection uses packet security (`Specs/PROTOCOL.md` section 20).
    public var isSecure: Bool { machine.handshakeSecurity != nil }
    /// A snapshot of the counters and estimates.
    public var statistics: ConnectionStatistics { machine.statistics }
    /// Datagrams accepted so far (parsed, for this connection, not duplicates).
    public var packetsAccepted: Int { machine.stats.packetsReceived }
    /// Whether the connection has finished and produces no more output.
    public var isClosed: Bool { machine.phase.isClosed }
    /// Whether every message handed to ``send(_:channel:mode:)-(ByteBuffer,_,_)`` has left the send buffer.
    public var isSendBufferEmpty: Bool { machine.sendQueue.isEmpty }
    /// Every message with an ID below this one has left the send buffer: acknowledged (reliable),
    /// sent (unreliable) or failed. Equals ``nextMessageID`` when the send buffer is empty. A
    /// transport waits for "everything sent so far was acknowledged" by comparing it with the
    /// ``nextMessageID`` it noted, instead of tracking acknowledgements itself.
    public var messagesReleasedBelow: MessageID { machine.sendQueue.releasedBelow }
    /// The ID the next message accepted by ``send(_:channel:mode:)-(ByteBuffer,_,_)`` gets (IDs are consecutive).
    public var nextMessageID: MessageID { machine.sendQueue.nextMessageID }
    /// The name of the congestion controller in use.
    public var congestionControllerName: String { machine.congestion.name }
    /// The receive memory held now: partial and waiting messages, undelivered unreliable ones.
    public var receiveMemory: Int { machine.buffers.memory }
    /// The endpoint's shared account, when the connection belongs to one.
    var memoryPool: ReceiveMemoryPool? {
        get { machine.buffers.pool }
        set { machine.buffers.pool = newValue }
    }
    /// Partial unreliable messages held (for tests).
    var unreliableReassemblyCount: Int { machine.buffers.unreliable.count }
    /// See ``ConnectionState/receiveMemoryLimit``.
    var receiveMemoryLimit: Int { machine.receiveMemoryLimit }
    /// See ``ConnectionState/receiveMemoryCeiling``.
    var receiveMemoryCeiling: Int { machine.receiveMemoryCeiling }
    /// What the last datagram handed in did, for the endpoint's address bookkeeping.
    var lastReceive: ReceiveOutcome { machine.reportedReceive }
    /// Whether a validation of a candidate peer address is under way.
    var isValidatingPath: Bool { machine.pathValidation.isActive }
    /// Whether a PATH_CHALLENGE is owed now (see ``pathChallengeDatagram(data:at:)``).
    var pathChallengeDue: Bool { machine.pathValidation.challengeDue }

    // MARK: - Application commands

    /// Queues a message. It is sent as soon as the handshake, flow and congestion control allow;
    /// a reliable message stays in the send buffer until the peer acknowledges it
    /// (``ConnectionEvent/acknowledged(_:)``). Throws instead of queueing if the buffer is full
    /// (then ``ConnectionEvent/writable`` follows once there is room: wait for it rather than
    /// retrying), the message is too large, the channel does not exist, or the connection is closing.
    ///
    /// The message is `message`'s readable bytes. The connection keeps a reference to the buffer's
    /// storage, not a copy: each fragment is copied from it once, straight into the datagram that
    /// carries it. Writing to your own copy of the buffer afterwards does not change what is sent
    /// (`ByteBuffer` is copy-on-write), but keeping a copy makes that write allocate. The send
    /// buffer counts the readable bytes, but the whole storage stays alive until the message
    /// leaves it: send a small slice of a large buffer as a copy of its own.
    ///
    /// ```swift
    /// var message = ByteBuffer()
    /// message.writeString("hello")
    /// let id = try connection.send(message, channel: 0, mode: .reliableOrdered)
    /// ```
    @discardableResult
    public func send(_ message: ByteBuffer, channel: UInt8 = 0, mode: DeliveryMode = .reliableOrdered) throws(SendError) -> MessageID {
        try machine.send(message, channel: channel, mode: mode)
    }

    /// Queues a message given as an array: a convenience that copies `message` into a new
    /// `ByteBuffer` once and sends that (see ``send(_:channel:mode:)-(ByteBuffer,_,_)``).
    ///
    /// ```swift
    /// let id = try connection.send(Array("hello".utf8))
    /// ```
    @discardableResult
    public func send(_ message: [UInt8], channel: UInt8 = 0, mode: DeliveryMode = .reliableOrdered) throws(SendError) -> MessageID {
        try machine.send(ByteBuffer(bytes: message), channel: channel, mode: mode)
    }

    /// Debug builds: the timer table agrees with the inputs of its timers after every call.
    @inline(__always)
    private func checkTimers() {
        #if DEBUG
        machine.checkTimers()
        #endif
    }

    /// Closes gracefully: refuses new sends, keeps transmitting until every reliable message was
    /// acknowledged, then exchanges CLOSE with the peer. Ends with ``CloseReason/closedLocally``.
    public func close(at now: Timestamp) {
        machine.close(at: now)
        checkTimers()
    }

    /// Aborts: discards unacknowledged messages (reported as ``ConnectionEvent/failed(_:)``),
    /// tells the peer once with `frame` (default CLOSE(aborted)), and ends with ``CloseReason/aborted``.
    public func abort(at now: Timestamp, with frame: CloseFrame = CloseFrame(code: .aborted)) {
        machine.abort(at: now, with: frame)
        checkTimers()
    }

    /// Releases the credit of a message the application has consumed, once per
    /// ``ConnectionEvent/message(_:)`` event: see "Credit" in ``Endpoint`` (the one contract).
    public func releaseCredit(_ message: ReceivedMessage) {
        machine.releaseCredit(message)
    }

    // MARK: - Input

    /// Processes one datagram from the peer (a packet with its checksum trailer, see `Datagram`,
    /// or, on a secure connection, a protected datagram). Corrupted, forged, replayed or
    /// malformed datagrams are counted and dropped without any other effect.
    public func handle(datagram: [UInt8], at now: Timestamp) {
        datagram.withUnsafeBytes { raw in
            withUnsafeTemporaryAllocation(byteCount: max(raw.count, 1), alignment: 1) { scratch in
                handle(datagram: raw, scratch: scratch, at: now)
            }
        }
    }

    /// Processes one datagram from the peer, read from the caller's memory; a secure DATA packet
    /// is opened into `scratch` (at least `datagram.count` bytes, the endpoint's). Only the
    /// endpoint calls this (for a secure connection's datagrams).
    func handle(datagram: UnsafeRawBufferPointer, scratch: UnsafeMutableRawBufferPointer, at now: Timestamp) {
        let progress = machine.handle(datagram: datagram, scratch: scratch, at: now)
        if case .needsRoom(let data, let size, let incoming) = progress {
            makeRoomThenContinue(data, size: size, incoming: incoming, at: now)
        }
        checkTimers()
    }

    /// Processes one validated DATA packet, read in place from the caller's memory, and returns
    /// what it did (``lastReceive``, without a second access to the state). Only the endpoint
    /// calls this, with packets it routed.
    func handle(data: DataPacketView, size: Int, at now: Timestamp) -> ReceiveOutcome {
        let (progress, outcome) = machine.handleReporting(data: data, size: size, at: now)
        guard case .needsRoom(let data, let size, let incoming) = progress else {
            checkTimers()
            return outcome
        }
        makeRoomThenContinue(data, size: size, incoming: incoming, at: now)
        checkTimers()
        return machine.reportedReceive
    }

    /// Processes one parsed handshake packet (CONNECT, ACCEPT, RETRY) from the peer. Only the
    /// endpoint calls this, with packets it routed (and, for a secure CONNECT, verified).
    func handle(packet: Packet, size: Int, at now: Timestamp) {
        machine.handle(packet: packet, size: size, at: now)
        checkTimers()
    }

    /// The endpoint's receive-memory budget is short for a DATA packet: asks the endpoint to
    /// make room (it may close other connections, or this one), outside any access to the
    /// state, then processes or drops the packet (whose bytes are still the caller's, unchanged).
    private func makeRoomThenContinue(_ data: DataPacketView, size: Int, incoming: Int, at now: Timestamp) {
        let makeRoom = machine.buffers.pool?.makeRoom
        let admitted = makeRoom?(incoming, self, now) ?? false
        machine.continueData(data, size: size, admitted: admitted, at: now)
    }

    /// Handles an expired deadline. Call when ``nextDeadline()`` has passed; extra calls are harmless.
    public func handleTimeout(at now: Timestamp) {
        machine.handleTimeout(at: now)
        checkTimers()
    }

    /// The timers armed now, with their deadlines (test diagnostics).
    var armedTimers: [(ConnectionTimer, Timestamp)] { machine.armedTimers }

    // MARK: - Output

    /// The next datagram to send to the peer, or nil when there is nothing to send now.
    public func pollTransmit(at now: Timestamp) -> [UInt8]? {
        let datagram = machine.pollTransmit(at: now)
        checkTimers()
        return datagram
    }

    /// Writes the next datagram for the peer into `buffer` and returns its length, or nil when
    /// there is nothing to send now. `buffer` must hold ``maxDatagramSize`` bytes (1,200 for a
    /// secure handshake). A plain DATA packet is written in place: no allocation, each message
    /// fragment copied once.
    func pollTransmit(into buffer: UnsafeMutableRawBufferPointer, at now: Timestamp) -> Int? {
        let count = machine.pollTransmit(into: buffer, at: now)
        checkTimers()
        return count
    }

    /// The largest datagram this connection sends: the smaller of its own and the peer's
    /// maximum datagram size.
    var maxDatagramSize: Int { machine.maxDatagramSize }

    /// The next event for the application, or nil. A ``ConnectionEvent/message(_:)`` keeps its
    /// credit until ``releaseCredit(_:)`` (see "Credit" in ``Endpoint``).
    public func pollEvent() -> ConnectionEvent? {
        machine.pollEvent()
    }

    /// Whether ``pollEvent()`` has an event to return.
    var hasPendingEvents: Bool { !machine.events.isEmpty }

    /// When ``handleTimeout(at:)`` should next be called, or nil if no timer is armed.
    public func nextDeadline() -> Timestamp? {
        // `ConnectionState.nextDeadline()`, reading the two fields it needs: calling the method
        // on `machine` made the optimizer copy the whole state out of the class (retaining
        // every buffer in it) on each call, about a tenth of the engine's instructions in `rudp simulate`.
        if machine.phase.isClosed { return nil }
        return machine.timers.next.map { Timestamp(nanoseconds: $0) }
    }

    // MARK: - Endpoint hooks

    /// Starts validating a new candidate address (section 7.4); returns whether it started.
    func startPathValidation() -> Bool { machine.startPathValidation() }

    /// Stops the validation under way: the peer showed it is still at its current address, or
    /// the endpoint lost the candidate. Later responses to its challenges are ignored.
    func cancelPathValidation() { machine.cancelPathValidation() }

    /// The due PATH_CHALLENGE carrying `data` (8 fresh random bytes from the endpoint), as a
    /// datagram for the candidate address, or nil if none is due.
    func pathChallengeDatagram(data: UInt64, at now: Timestamp) -> [UInt8]? {
        machine.pathChallengeDatagram(data: data, at: now)
    }

    /// The candidate address answered: the connection now sends to it.
    func pathValidated(at now: Timestamp, newHost: Bool) { machine.pathValidated(at: now, newHost: newHost) }

    /// Closes the connection to free receive memory (the endpoint's budget is exhausted).
    func closeForResourceLimit(at now: Timestamp) { machine.closeForResourceLimit(at: now) }
}
