import NIOCore

/// The receive memory of all the connections of one ``Endpoint`` together, against the
/// endpoint's ``EndpointConfiguration/receiveMemoryBudget``.
///
/// Every connection of the endpoint adds its changes to ``held`` as they happen. Before a
/// connection processes a datagram's MESSAGE frames, it checks that the most they could add
/// fits; if not, it asks ``makeRoom``, which closes the connections holding the most until it
/// fits (`Specs/PROTOCOL.md` section 17.4).
///
/// The pool knows the endpoint's connections itself (``register(_:slot:)``), so making room
/// never reaches back into the endpoint while it is handing a datagram to a connection: the
/// endpoint collects the closed connections afterwards (``takeClosed()``), when
/// ``hasClosed`` says there are any.
///
/// ```swift
/// let pool = ReceiveMemoryPool(budget: 1 << 20)
/// pool.register(connection, slot: 0)
/// connection.memoryPool = pool
/// ```
final class ReceiveMemoryPool {
    /// The most all connections may hold together.
    let budget: Int
    /// What they hold now.
    var held = 0
    /// Frees room for `bytes` more on behalf of `connection`, at the given time, by closing
    /// connections; returns false if `connection` itself was closed or the bytes cannot fit
    /// (the datagram must then be dropped unprocessed).
    var makeRoom: ((_ bytes: Int, _ connection: Connection, _ now: Timestamp) -> Bool)?
    /// The endpoint's connections by slot (nil for a free slot).
    private var members: ContiguousArray<Connection?> = []
    /// Connections closed to make room, not yet taken by the endpoint.
    private var closed: [Connection] = []
    /// Whether ``takeClosed()`` has anything: asked for every datagram, so kept behind a
    /// pointer (a `let`), which reads without the run-time exclusivity check of a class's `var`.
    private let closedFlag: UnsafeMutablePointer<Bool>
    /// Released messages' buffers, reused for later ones (one recycler per endpoint, so an idle
    /// connection holds none). Behind a pointer like ``closedFlag``: used for every message.
    private let recycler: UnsafeMutablePointer<MessageBufferRecycler>

    init(budget: Int) {
        self.budget = budget
        closedFlag = .allocate(capacity: 1)
        closedFlag.initialize(to: false)
        recycler = .allocate(capacity: 1)
        recycler.initialize(to: MessageBufferRecycler())
        makeRoom = { [unowned self] bytes, connection, now in
            closeLargest(toFit: bytes, for: connection, at: now)
        }
    }

    deinit {
        closedFlag.deinitialize(count: 1)
        closedFlag.deallocate()
        recycler.deinitialize(count: 1)
        recycler.deallocate()
    }

    /// Whether ``takeClosed()`` has anything.
    var hasClosed: Bool {
        @inline(__always) get { closedFlag.pointee }
    }

    /// Keeps the buffer of a message whose credit was released, for a later message (see
    /// ``MessageBufferRecycler``).
    @inline(__always)
    func recycle(_ buffer: ByteBuffer) {
        recycler.pointee.recycle(buffer)
    }

    /// Recycled buffers held now.
    var recycledCount: Int { recycler.pointee.count }

    /// The recycler itself, valid while the pool lives: a connection hands it to its channel
    /// receivers for each message without retaining and releasing the pool.
    var recyclerPointer: UnsafeMutablePointer<MessageBufferRecycler> { recycler }

    /// Notes the endpoint's connection in `slot` (nil when the slot is freed).
    func register(_ connection: Connection?, slot: Int) {
        while members.count <= slot { members.append(nil) }
        members[slot] = connection
    }

    /// Forgets every connection. The pool holds its members and each member holds the pool
    /// (``Connection/memoryPool``), so the endpoint calls this when it goes away; without it an
    /// endpoint dropped with live connections would leak them, their buffers and the pool.
    func unregisterAll() {
        members.removeAll()
        closed.removeAll()
        recycler.pointee.removeAll()
        closedFlag.pointee = false
    }

    /// The connections closed to make room since the last call, in the order they were closed.
    func takeClosed() -> [Connection] {
        defer {
            closed = []
            closedFlag.pointee = false
        }
        return closed
    }

    /// Closes the connections holding the most (ties: the lowest ID) until `bytes` more fit.
    /// Returns false if `receiving` was closed, or if nothing is left to close.
    private func closeLargest(toFit bytes: Int, for receiving: Connection, at now: Timestamp) -> Bool {
        while held + bytes > budget {
            var largest: Connection?
            for case let connection? in members {
                guard connection.receiveMemory > 0 else { continue }
                if let current = largest,
                    connection.receiveMemory < current.receiveMemory
                        || connection.receiveMemory == current.receiveMemory && connection.localID > current.localID
                {
                    continue
                }
                largest = connection
            }
            guard let victim = largest else { return false }
            victim.closeForResourceLimit(at: now)
            closed.append(victim)
            closedFlag.pointee = true
            if victim === receiving { return false }
        }
        return true
    }
}
