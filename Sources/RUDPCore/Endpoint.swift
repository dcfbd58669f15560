import NIOCore
import RUDPWire

/// Many connections over one socket: routes datagrams by connection ID, accepts new peers
/// (when configured as a server), and multiplexes the connections' output and timers.
///
/// Like ``Connection`` it is sans-IO: the caller moves datagrams between it and a socket (or a
/// simulated network) and passes the time in. Peers are ``PeerAddress``es: an IP address and
/// port for the UDP transport, a node number in the simulator and in tests (an integer literal
/// is one). Datagrams come in from the caller's memory and go out into the caller's memory:
///
/// ```swift
/// let server = Endpoint(configuration: EndpointConfiguration(acceptsConnections: true), randomness: SeededGenerator(seed: 1))
/// let client = Endpoint(configuration: EndpointConfiguration(), randomness: SeededGenerator(seed: 2))
/// let id = client.connect(to: 2, at: .zero)
/// try client.send(Array("hi".utf8), on: id)
/// var buffer = [UInt8](repeating: 0, count: client.maximumDatagramSize)
/// while let transmit = buffer.withUnsafeMutableBytes({ client.pollTransmit(into: $0, at: .zero) }) {
///     buffer.withUnsafeBytes { server.handle(datagram: UnsafeRawBufferPointer(rebasing: $0[..<transmit.byteCount]), from: 1, at: .zero) }
/// }
/// while let (connection, event) = server.pollEvent() {
///     print(connection, event)
///     if case .message(let message) = event { server.releaseCredit(message, on: connection) }
/// }
/// ```
///
/// The API has the four kinds of method of quinn's: getters; `handle...` for input from the
/// network or the clock (``handle(datagram:from:at:)-(UnsafeRawBufferPointer,_,_)``,
/// ``handleTimeout(at:)``); commands (``connect(to:at:)``, ``send(_:on:channel:mode:)-(ByteBuffer,_,_,_)``,
/// ``releaseCredit(_:on:)``, ``close(_:at:)``, ``abort(_:at:with:)``); and `poll...` for output.
/// After any input or command, poll in this order: ``pollTransmit(into:at:)`` until nil,
/// ``pollEvent()`` until nil (taking events can free room, and releasing a message's credit with
/// ``releaseCredit(_:on:)`` may let a MAX_DATA go: poll transmit again if there were any), then
/// ``nextDeadline()`` to arm a timer. Time never goes backwards.
///
/// ## Credit
/// There is one credit contract, for ``Endpoint`` and ``Connection`` alike: a
/// ``ConnectionEvent/message(_:)`` keeps its bytes counted against its connection's flow-control
/// window (a reliable message) or undelivered-unreliable budget (an unreliable one) until the
/// application calls ``releaseCredit(_:on:)`` for it, once, when it has consumed the message (at
/// once, or later from its own buffer). Taking the event with ``pollEvent()`` releases nothing, so
/// what the application has not consumed bounds what the peer may send and what the connection
/// buffers for it. Releasing may let a MAX_DATA go: poll transmit again after it. The endpoint
/// keeps a few released small arrays and copies later messages into those that nobody else holds
/// any more (an array the application kept is never changed).
///
/// The endpoint draws connection IDs (and its cookie secret) from `randomness`: a seeded
/// generator in tests and simulations, the system's secure generator in the transport. IDs have
/// the layout of `Specs/PROTOCOL.md` section 7.1 (worker index in the top 4 bits, 60 random bits).
///
/// A server bounds its connections (``EndpointConfiguration``): half-open ones (the oldest is
/// evicted when they are too many), all of them, and those of one host and of one network
/// (refused beyond). Before a client's address is verified (a valid retry cookie, or its first
/// DATA packet, which proves it got the ACCEPT) the server never sends it more than three times
/// the bytes it received from it.
///
/// A server moves a connection to a new peer address (a NAT rebinding) only after path
/// validation (`Specs/PROTOCOL.md` section 7.4): a new, valid packet that is the largest so far
/// from another address makes it the candidate, which gets PATH_CHALLENGEs with fresh data from
/// `randomness` (at most three times the bytes received from it) while everything else still goes
/// to the current address; a PATH_RESPONSE echoing one, from the candidate, moves the connection.
/// A client never changes the server's address.
///
/// With an ``EndpointSecurity`` the endpoint runs the secure handshake of `Specs/PROTOCOL.md`
/// section 20: a server answers a CONNECT only if its connect-key tag verifies, answers an
/// unverified address statelessly with RETRY, and creates a connection (and derives keys) only
/// for a CONNECT with a valid cookie.
///
/// Not thread-safe: call it from one thread (or event loop) at a time.
public final class Endpoint {
    /// Before an address is verified, a server sends it at most this many times the bytes it
    /// received from it (RFC 9000 section 8.1).
    public static var amplificationFactor: Int { EndpointCore.amplificationFactor }

    /// Most stateless answers queued at once; more are dropped (and counted).
    static var statelessAnswerLimit: Int { EndpointCore.statelessAnswerLimit }

    /// The configuration the endpoint was created with (validated); fixed for its lifetime.
    public let configuration: EndpointConfiguration
    /// Everything else: one struct, behind a pointer the endpoint owns. Held as a stored `var`,
    /// Swift would check exclusive access to it at run time on every call (a class's stored
    /// properties are checked dynamically, ~100 instructions with the thread-local access set);
    /// through the pointer only the static checks inside ``EndpointCore`` remain. That is sound
    /// because nothing the core calls can call back into the endpoint (the receive-memory pool
    /// closes connections on its own, see ``ReceiveMemoryPool``) and the endpoint is used from
    /// one thread at a time.
    private let state: UnsafeMutablePointer<EndpointCore>

    private var core: EndpointCore {
        @inline(__always) _read { yield state.pointee }
        @inline(__always) _modify { yield &state.pointee }
    }

    /// Creates an endpoint whose connection IDs are drawn from `randomness`: pass a
    /// ``SeededGenerator`` for a reproducible run, `SystemRandomNumberGenerator()` (the
    /// operating system's secure generator) for a real one. With `security`, every connection is
    /// authenticated (and encrypted, in that mode) with the security's key.
    ///
    /// The configuration must pass ``EndpointConfiguration/validate()``.
    public init(configuration: EndpointConfiguration, randomness: some RandomNumberGenerator, security: EndpointSecurity? = nil) {
        precondition(configuration.validate() == nil, "invalid EndpointConfiguration: \(configuration.validate() ?? "")")
        self.configuration = configuration
        state = .allocate(capacity: 1)
        state.initialize(to: EndpointCore(configuration: configuration, randomness: randomness, security: security))
    }

    deinit {
        // Breaks the pool ↔ connection reference cycle (see ReceiveMemoryPool.unregisterAll).
        state.pointee.memoryPool.unregisterAll()
        state.deinitialize(count: 1)
        state.deallocate()
    }

    // MARK: - Getters

    /// Whether the endpoint protects its connections.
    public var isSecure: Bool { core.hasSecurity }

    /// The type of the random source connection IDs are drawn from (for diagnostics and tests:
    /// the transport must use the system's secure generator).
    public var randomSourceName: String { String(describing: type(of: core.randomness)) }

    /// The size a buffer given to ``pollTransmit(into:at:)`` must have at least: the largest
    /// datagram the endpoint produces (the configured ``ConnectionConfiguration/maxDatagramSize``,
    /// and at least the 1,200 bytes of a secure CONNECT).
    public var maximumDatagramSize: Int { core.maximumDatagramSize }

    /// Number of connections (in any state).
    public var connectionCount: Int { core.table.count }

    /// Number of server connections in Accepting (half-open).
    public var halfOpenConnectionCount: Int { core.halfOpenCount }

    /// The connection with this ID, to read its state and statistics.
    public func connection(_ id: ConnectionID) -> Connection? { core.connection(id) }

    /// The peer address of a connection.
    public func address(of id: ConnectionID) -> PeerAddress? {
        guard let slot = core.slot(of: id) else { return nil }
        return core.slots[slot].address
    }

    /// Whether the peer address of a connection is verified (always, for a client connection).
    public func isAddressVerified(_ id: ConnectionID) -> Bool {
        guard let slot = core.slot(of: id) else { return false }
        return core.slots[slot].unverifiedCredit == nil
    }

    /// The address a server connection is validating as its peer's new one (`Specs/PROTOCOL.md`
    /// section 7.4), or nil when no validation is under way.
    public func candidateAddress(of id: ConnectionID) -> PeerAddress? {
        guard let slot = core.slot(of: id), let connection = core.connections[slot], connection.isValidatingPath else { return nil }
        return core.slots[slot].candidate
    }

    /// The IDs of all connections, in ascending order.
    public var connectionIDs: [ConnectionID] { core.table.entries.map(\.id).sorted() }

    /// The receive memory all connections hold together (at most
    /// ``EndpointConfiguration/receiveMemoryBudget``).
    public var receiveMemory: Int { core.memoryPool.held }

    /// Endpoint-wide counters.
    public var statistics: EndpointStatistics { core.statistics }

    // MARK: - Commands

    /// Opens a connection to `address`; CONNECT goes out on the next ``pollTransmit(into:at:)``.
    public func connect(to address: PeerAddress, at now: Timestamp) -> ConnectionID {
        core.connect(to: address, at: now)
    }

    /// Queues a message, `message`'s readable bytes, on a connection. See
    /// ``Connection/send(_:channel:mode:)-(ByteBuffer,_,_)``: the buffer is kept by reference and
    /// each fragment copied from it once, into its datagram.
    ///
    /// ```swift
    /// var message = ByteBufferAllocator().buffer(capacity: 1024)
    /// message.writeBytes(payload)
    /// let id = try endpoint.send(message, on: connection)
    /// ```
    @discardableResult
    public func send(_ message: ByteBuffer, on id: ConnectionID, channel: UInt8 = 0, mode: DeliveryMode = .reliableOrdered)
        throws(SendError)
        -> MessageID
    {
        try core.send(message, on: id, channel: channel, mode: mode)
    }

    /// Queues a message given as an array on a connection: a convenience that copies it into a
    /// new `ByteBuffer` once (see ``send(_:on:channel:mode:)-(ByteBuffer,_,_,_)``).
    @discardableResult
    public func send(_ message: [UInt8], on id: ConnectionID, channel: UInt8 = 0, mode: DeliveryMode = .reliableOrdered) throws(SendError)
        -> MessageID
    {
        try core.send(ByteBuffer(bytes: message), on: id, channel: channel, mode: mode)
    }

    /// Releases the credit of a message the application has consumed, once per message event:
    /// see "Credit" in ``Endpoint``.
    public func releaseCredit(_ message: ReceivedMessage, on id: ConnectionID) {
        core.releaseCredit(message, on: id)
    }

    /// Closes a connection gracefully. See ``Connection/close(at:)``.
    public func close(_ id: ConnectionID, at now: Timestamp) {
        core.close(id, at: now)
    }

    /// Aborts a connection. See ``Connection/abort(at:with:)``.
    public func abort(_ id: ConnectionID, at now: Timestamp, with frame: CloseFrame = CloseFrame(code: .aborted)) {
        core.abort(id, at: now, with: frame)
    }

    // MARK: - Input

    /// Routes one datagram received from `address`, read from the caller's memory (which the
    /// endpoint does not keep).
    public func handle(datagram: UnsafeRawBufferPointer, from address: PeerAddress, at now: Timestamp) {
        core.handle(datagram: datagram, from: address, at: now)
    }

    /// Routes one datagram received from `address` (a convenience for tests and tools).
    public func handle(datagram: [UInt8], from address: PeerAddress, at now: Timestamp) {
        datagram.withUnsafeBytes { core.handle(datagram: $0, from: address, at: now) }
    }

    /// Runs every connection timer that has expired by `now`.
    public func handleTimeout(at now: Timestamp) {
        core.handleTimeout(at: now)
    }

    // MARK: - Output

    /// Writes the next datagram into `buffer` (at least ``maximumDatagramSize`` bytes, from its
    /// start) and returns its size and destination, or nil when nothing is ready.
    public func pollTransmit(into buffer: UnsafeMutableRawBufferPointer, at now: Timestamp) -> Transmit? {
        core.pollTransmit(into: buffer, maxSegments: 1, at: now)
    }

    /// Writes up to `maxSegments` datagrams for one destination into `buffer`, back to back,
    /// for UDP segmentation offload: the first sets ``Transmit/segmentSize``, the others have
    /// that size but the last, which may be shorter. `buffer` needs ``maximumDatagramSize``
    /// bytes at least; the batch ends when the next segment would not fit. Returns nil when
    /// nothing is ready.
    public func pollTransmit(into buffer: UnsafeMutableRawBufferPointer, maxSegments: Int, at now: Timestamp) -> Transmit? {
        core.pollTransmit(into: buffer, maxSegments: max(1, maxSegments), at: now)
    }

    /// The next datagram to send and its destination, or nil when nothing is ready (a
    /// convenience for tests and tools: a new array per datagram).
    public func pollTransmit(at now: Timestamp) -> (datagram: [UInt8], destination: PeerAddress)? {
        var destination: PeerAddress = 0
        let datagram = [UInt8](unsafeUninitializedCapacity: core.maximumDatagramSize) { buffer, count in
            guard let transmit = core.pollTransmit(into: UnsafeMutableRawBufferPointer(buffer), maxSegments: 1, at: now) else {
                count = 0
                return
            }
            destination = transmit.destination
            count = transmit.byteCount
        }
        return datagram.isEmpty ? nil : (datagram, destination)
    }

    /// The next connection event, or nil. A `.closed` event is the last of its connection, which
    /// is then forgotten. A `.message` keeps its credit until ``releaseCredit(_:on:)`` (see
    /// "Credit" in ``Endpoint``).
    public func pollEvent() -> (ConnectionID, ConnectionEvent)? {
        core.pollEvent()
    }

    /// The earliest deadline among all connections, or nil. After ``handleTimeout(at:)`` at
    /// `now` and draining ``pollTransmit(into:at:)``, it is nil or later than `now`, so a driver
    /// that sleeps until it never spins (`Pair` and the engine fuzzer check it).
    public func nextDeadline() -> Timestamp? {
        core.nextDeadline()
    }
}
