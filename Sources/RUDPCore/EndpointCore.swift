import DequeModule
import NIOCore
import RUDPWire

/// The state and logic of an ``Endpoint``, as one struct with `mutating` methods: the class
/// holds it as its only stored state, so its exclusivity is checked once per call of the
/// endpoint's API (statically inside), and its per-connection data sits in a `ContiguousArray`
/// of ``EndpointSlot``s reached by index: no dictionary, set or generic code on the
/// per-datagram path.
///
/// Routing: the ``ConnectionTable`` maps a connection ID to its slot. Multiplexing: three
/// queues of slots (``SlotQueue``) hold the connections that may have output, events, or a
/// deadline to re-read, each at most once (a flag in the slot); a ``TimerHeap`` holds one live
/// deadline per connection. Deadlines are re-read lazily: input marks the connection, and
/// ``nextDeadline()`` and ``handleTimeout(at:)`` read the marked connections' deadlines once,
/// however many datagrams they got in between.
///
/// ```swift
/// var core = EndpointCore(configuration: EndpointConfiguration(), randomness: SeededGenerator(seed: 1), security: nil)
/// let id = core.connect(to: 2, at: .zero)
/// ```
struct EndpointCore {
    /// Why a connection leaves the table.
    enum Removal { case ended, evicted }

    let configuration: EndpointConfiguration
    var randomness: any RandomNumberGenerator
    let security: EndpointSecurity?
    /// `security != nil` as a plain Bool: the plain hot path tests only this.
    let hasSecurity: Bool
    /// The connection configuration, shared by every connection.
    let settings: ConnectionSettings
    /// The receive memory of all connections, against the budget.
    let memoryPool: ReceiveMemoryPool
    /// The largest datagram the endpoint produces (see ``Endpoint/maximumDatagramSize``).
    let maximumDatagramSize: Int
    /// Secure endpoints: where a DATA packet is opened (verified, decrypted) to be read in place.
    let receiveScratch: ReceiveScratch?

    /// Connection ID → slot.
    var table = ConnectionTable()
    var slots: ContiguousArray<EndpointSlot> = []
    /// The connection in each slot (nil for a free one), beside the slots so that the slots hold
    /// plain values only: reading a slot's field is then a load, never a copy of the slot.
    var connections: ContiguousArray<Connection?> = []
    var freeSlots: ContiguousArray<Int> = []
    var transmitQueue = SlotQueue()
    var eventQueue = SlotQueue()
    /// Connections whose deadline changed may have changed since it was last read.
    var timerRefreshQueue = SlotQueue()
    var timers = TimerHeap()
    var timerSerial: UInt64 = 0
    /// Scratch list of the slots whose timers fire in one ``handleTimeout(at:)``.
    var dueSlots: ContiguousArray<Int> = []
    /// A datagram produced for a batch it did not fit (larger than the batch's segments): sent
    /// first by the next poll. Its anti-amplification credit is already taken.
    var heldDatagram: (datagram: [UInt8], destination: PeerAddress)?

    /// `!statelessAnswers.isEmpty`, for the same reason as ``hasSecurity``.
    var hasStatelessAnswers = false
    /// Stateless answers (RETRY, CLOSE), sent before any connection's output.
    var statelessAnswers: Deque<(datagram: [UInt8], destination: PeerAddress)> = []
    /// Server handshakes under way: (client address, client ID) → connection.
    var handshakes: [HandshakeKey: ConnectionID] = [:]
    /// The (address, client connection ID) of the most recent handshakes whose connection has
    /// ended. A client never reuses its connection ID, so a CONNECT for one of them is a replay
    /// (in secure mode its cookie may still be valid) and must not create a new connection.
    var endedHandshakes: Set<HandshakeKey> = []
    var endedHandshakeOrder: Deque<HandshakeKey> = []
    /// Server limits: connections per state, per host, per network.
    var halfOpenCount = 0
    var establishedCount = 0
    var hostCounts: [AddressKey: Int] = [:]
    var prefixCounts: [AddressKey: Int] = [:]
    /// Half-open connections, oldest first: those whose address is not verified, and those whose
    /// is (a valid cookie). Eviction takes the unverified first: a spoofed CONNECT never pushes
    /// out a client that proved its address. Both hold stale entries of connections that moved
    /// on, compacted when they outnumber the live ones.
    var unverifiedHalfOpen = SlotQueue()
    var verifiedHalfOpen = SlotQueue()
    /// Plain servers: the retry cookie secret (made on the first CONNECT).
    var plainCookieIssuer: PlainRetryCookie?
    /// Endpoint-wide counters.
    var statistics = EndpointStatistics()

    init(configuration: EndpointConfiguration, randomness: any RandomNumberGenerator, security: EndpointSecurity?) {
        self.configuration = configuration
        self.randomness = randomness
        self.security = security
        self.hasSecurity = security != nil
        self.memoryPool = ReceiveMemoryPool(budget: configuration.receiveMemoryBudget)
        self.settings = ConnectionSettings(configuration.connection)
        self.maximumDatagramSize = max(configuration.connection.maxDatagramSize, Packet.protectedConnectDatagramSize)
        self.receiveScratch = security == nil ? nil : ReceiveScratch(byteCount: Packet.maximumDatagramSize)
    }

    // MARK: - Lookup

    /// The slot of the connection with this ID, or nil.
    @inline(__always)
    func slot(of id: ConnectionID) -> Int? {
        table.find(id)
    }

    /// Calls `body` with the connection in `slot`, without retaining it; nil (and no call) if
    /// the slot is empty. `connections` holds the connection, and nothing `body` can do changes
    /// `connections`: this method does not mutate the core, and a connection's methods never
    /// reach the endpoint (the receive-memory pool closes connections but only the core removes
    /// them). So the connection stays alive for the call. Used for the calls made for every
    /// message (events, credit, send), each of which a retain and a release of the connection
    /// cost ~40 instructions.
    @inline(__always)
    func withConnection<Result>(in slot: Int, _ body: (Connection) -> Result) -> Result? {
        let unmanaged = connections.withUnsafeBufferPointer { $0[slot].map(Unmanaged.passUnretained) }
        guard let unmanaged else { return nil }
        return unmanaged._withUnsafeGuaranteedRef(body)
    }

    /// The connection with this ID, or nil.
    func connection(_ id: ConnectionID) -> Connection? {
        guard let slot = table.find(id) else { return nil }
        return connections[slot]
    }

    // MARK: - Commands

    mutating func connect(to address: PeerAddress, at now: Timestamp) -> ConnectionID {
        let id = newConnectionID()
        let connection = Connection(clientWith: settings, localID: id, at: now, security: security?.handshake)
        let slot = insert(connection, id: id, address: address, kind: .client)
        slots[slot].announced = true
        touch(slot)
        return id
    }

    mutating func send(_ message: ByteBuffer, on id: ConnectionID, channel: UInt8, mode: DeliveryMode) throws(SendError) -> MessageID {
        guard let slot = table.find(id),
            let sent = withConnection(
                in: slot, { connection in Result { () throws(SendError) in try connection.send(message, channel: channel, mode: mode) } })
        else { throw .connectionClosed }
        let messageID = try sent.get()
        touch(slot)
        return messageID
    }

    mutating func releaseCredit(_ message: ReceivedMessage, on id: ConnectionID) {
        guard let slot = table.find(id), withConnection(in: slot, { $0.releaseCredit(message) }) != nil else { return }
        touch(slot)
    }

    mutating func close(_ id: ConnectionID, at now: Timestamp) {
        guard let slot = table.find(id), let connection = connections[slot] else { return }
        connection.close(at: now)
        touch(slot)
    }

    mutating func abort(_ id: ConnectionID, at now: Timestamp, with frame: CloseFrame) {
        guard let slot = table.find(id), let connection = connections[slot] else { return }
        connection.abort(at: now, with: frame)
        touch(slot)
    }

    // MARK: - Input

    /// Routes one datagram received from `address`.
    mutating func handle(datagram: UnsafeRawBufferPointer, from address: PeerAddress, at now: Timestamp) {
        statistics.datagramsReceived += 1
        statistics.bytesReceived += datagram.count
        if hasSecurity, let security {
            handleSecure(datagram: datagram, from: address, at: now, security: security)
            return
        }
        // DATA packets are validated and read in place (no `Packet`, no copy of the datagram);
        // the handshake packets (rare) are parsed with the reference codec.
        let data: DataPacketView
        do {
            let body = try Datagram.verify(datagram)
            switch try PacketView(validating: body) {
            case .data(let view):
                data = view
            case .handshake:
                handle(handshake: try Packet.parse(body), size: datagram.count, from: address, at: now)
                return
            }
        } catch {
            statistics.malformedDatagrams += 1
            answerProtectedConnect(datagram, from: address)
            return
        }
        if data.header.flags != .plain {
            statistics.malformedDatagrams += 1
            return
        }
        guard let slot = table.find(data.header.destination), let connection = connections[slot] else {
            statistics.unroutableDatagrams += 1
            return
        }
        let outcome = connection.handle(data: data, size: datagram.count, at: now)
        if memoryPool.hasClosed { collectMemoryVictims() }
        afterRouted(slot, connection, outcome: outcome, size: datagram.count, from: address, at: now)
        touch(slot)
    }

    /// A plain handshake packet (CONNECT, ACCEPT, RETRY), parsed and intact.
    mutating func handle(handshake packet: Packet, size: Int, from address: PeerAddress, at now: Timestamp) {
        if packet.flags != .plain {
            statistics.malformedDatagrams += 1
            return
        }
        if case .connect(let params, let cookie) = packet.body {
            acceptConnect(packet, params, cookie: cookie, size: size, from: address, at: now)
            return
        }
        guard let slot = table.find(packet.destination), let connection = connections[slot] else {
            statistics.unroutableDatagrams += 1
            return
        }
        connection.handle(packet: packet, size: size, at: now)
        if memoryPool.hasClosed { collectMemoryVictims() }
        afterRouted(slot, connection, outcome: connection.lastReceive, size: size, from: address, at: now)
        touch(slot)
    }

    /// Bookkeeping after a datagram was routed to a connection: the move from half-open to
    /// established, address verification and path validation. The source address is compared
    /// only when it matters: while the peer's address is unverified, while a validation is under
    /// way, or for a new packet that is the largest so far; never for a client connection, a
    /// duplicate or a dropped datagram on a verified connection.
    @inline(__always)
    mutating func afterRouted(
        _ slot: Int, _ connection: Connection, outcome: @autoclosure () -> ReceiveOutcome, size: Int,
        from address: PeerAddress, at now: Timestamp
    ) {
        let kind = slots[slot].kind
        if kind == .client { return }
        let outcome = outcome()
        if kind == .halfOpen && connection.state != .accepting {
            // The first DATA packet: the client has the ACCEPT, so it received at its address.
            slots[slot].kind = .established
            halfOpenCount -= 1
            establishedCount += 1
            if outcome.newPacket && slots[slot].address == address { slots[slot].unverifiedCredit = nil }
        }
        guard slots[slot].unverifiedCredit != nil || outcome.newLargest || outcome.isValidatingPath else { return }
        followPath(slot, connection, size: size, from: address, outcome: outcome, at: now)
    }

    /// The connections the receive-memory budget closed while a connection took a datagram:
    /// counted, and marked for output (their CLOSE) and events.
    mutating func collectMemoryVictims() {
        for victim in memoryPool.takeClosed() {
            statistics.connectionsClosedForMemory += 1
            if let slot = table.find(victim.localID) { touch(slot) }
        }
    }

    // MARK: - Bookkeeping

    /// A fresh ID: the worker index in the top 4 bits, 60 random bits below (never all zero),
    /// unique among this endpoint's connections.
    mutating func newConnectionID() -> ConnectionID {
        while true {
            let bits = randomness.next() & ConnectionID.randomBitMask
            if bits == 0 { continue }
            let id = ConnectionID(workerIndex: configuration.workerIndex, randomBits: bits)
            if table.find(id) == nil { return id }
        }
    }

    /// Puts a new connection in a free slot and the routing table; returns the slot.
    mutating func insert(_ connection: Connection, id: ConnectionID, address: PeerAddress, kind: EndpointSlot.Kind) -> Int {
        connection.memoryPool = memoryPool
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
        } else {
            slot = slots.count
            slots.append(EndpointSlot(generation: 0))
            connections.append(nil)
        }
        connections[slot] = connection
        slots[slot].id = id
        slots[slot].address = address
        slots[slot].kind = kind
        table.insert(id, value: slot)
        memoryPool.register(connection, slot: slot)
        return slot
    }

    /// Marks a connection for output, events and a fresh look at its deadline.
    @inline(__always)
    mutating func touch(_ slot: Int) {
        markTransmit(slot)
        markEvents(slot)
        markTimer(slot)
    }

    @inline(__always)
    mutating func markTransmit(_ slot: Int) {
        if slots[slot].inTransmitQueue { return }
        slots[slot].inTransmitQueue = true
        transmitQueue.append(slot: slot, generation: slots[slot].generation)
    }

    @inline(__always)
    mutating func markEvents(_ slot: Int) {
        if slots[slot].inEventQueue { return }
        slots[slot].inEventQueue = true
        eventQueue.append(slot: slot, generation: slots[slot].generation)
    }

    @inline(__always)
    mutating func markTimer(_ slot: Int) {
        if slots[slot].timerDirty { return }
        slots[slot].timerDirty = true
        timerRefreshQueue.append(slot: slot, generation: slots[slot].generation)
    }

    /// Whether a queue entry still stands for the slot's current occupant.
    @inline(__always)
    func isCurrent(_ slot: Int, _ generation: UInt32) -> Bool {
        slots[slot].generation == generation && slots[slot].id != .none
    }

    /// Takes a connection out of the table and frees its slot. Slots are reused (the most
    /// recently freed first), never given back: their number is the endpoint's peak of
    /// connections, a few hundred bytes each.
    mutating func remove(_ slot: Int, _ removal: Removal) {
        guard slots[slot].id != .none else { return }
        table.remove(slots[slot].id)
        switch slots[slot].kind {
        case .client: break
        case .halfOpen: halfOpenCount -= 1
        case .established: establishedCount -= 1
        }
        if let keys = slots[slot].server {
            Self.decrement(&hostCounts, keys.host)
            Self.decrement(&prefixCounts, keys.prefix)
            handshakes[keys.handshake] = nil
            // An evicted half-open connection did not end: its client's next CONNECT may create it again.
            if removal == .ended { rememberEndedHandshake(keys.handshake) }
        }
        memoryPool.register(nil, slot: slot)
        connections[slot] = nil
        slots[slot] = EndpointSlot(generation: slots[slot].generation &+ 1)
        freeSlots.append(slot)
    }

    mutating func rememberEndedHandshake(_ key: HandshakeKey) {
        guard configuration.endedHandshakeMemory > 0, endedHandshakes.insert(key).inserted else { return }
        endedHandshakeOrder.append(key)
        if endedHandshakeOrder.count > configuration.endedHandshakeMemory, let oldest = endedHandshakeOrder.popFirst() {
            endedHandshakes.remove(oldest)
        }
    }

    static func decrement(_ counts: inout [AddressKey: Int], _ key: AddressKey) {
        if let n = counts[key], n > 1 {
            counts[key] = n - 1
        } else {
            counts[key] = nil
        }
    }
}
