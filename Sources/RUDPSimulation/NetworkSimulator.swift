import RUDPCore
import RUDPImpairment

/// A deterministic, single-threaded simulation of a lossy datagram network, in virtual time.
///
/// Nodes (anything conforming to ``SimulatedNode``, typically a sans-IO endpoint behind an
/// adapter) are connected by directed ``Link``s whose `LinkOptions` describe delay, jitter,
/// loss, duplication, reordering, corruption, bandwidth and partitions. The simulator owns a
/// virtual clock, starting at `Timestamp.zero`, and an event queue ordered by
/// (time, insertion sequence); it advances the clock from event to event, so a minute of
/// simulated time with nothing happening costs nothing.
///
/// **Determinism.** Every random draw comes from a `SeededGenerator` forked from `seed` (one
/// per link, in the order links are connected; nodes may take their own with
/// ``makeGenerator()``). Nothing reads the wall clock or iterates a `Dictionary`, and ties in
/// time are broken by insertion order. The same seed, nodes and calls give the same run, byte
/// for byte: compare ``traceDigest`` (always computed), or ``trace`` (kept when
/// `recordTrace` is true).
///
/// **Driving nodes.** The simulator
/// - delivers each datagram at its arrival time with `receive`; every datagram that arrives at
///   one instant (with no timer of that instant scheduled between them) is handed over before
///   any node is serviced, as a socket's vector read would, and ``step()`` counts them as one
///   event;
/// - calls `handleTimeout` when the time returned by `nextDeadline()` is reached (a deadline
///   in the past counts as now);
/// - after `handleTimeout`, after the datagrams of an instant (once per node that received
///   some, in the order of their first datagram) and once when a node is added (when the run
///   starts), drains `pollTransmit` until it returns nil, sends each datagram on the link from
///   that node to its destination, then re-reads `nextDeadline()`. A datagram to a node with
///   no link from the sender is dropped and counted in ``unroutableCount``.
///
/// A ``DirectSimulatedNode`` reads and writes its datagrams in the simulator's buffers, which
/// are reused from one datagram to the next: no allocation or copy per datagram.
///
/// Each (re)read of a deadline bumps a per-node generation number; a timer event whose
/// generation is no longer current is stale and skipped. Before firing, the deadline is read
/// once more, so a node changed from outside (see ``poll(_:)``) is never woken early.
///
/// **Livelock guard.** A node must keep the engine's timer guarantee: after `handleTimeout(at:
/// now)` and draining `pollTransmit`, its deadline is nil or later than `now` (issue 14). A node
/// whose deadline is still at or before `now` after one `handleTimeout` at that instant would
/// otherwise be called forever without the clock moving: its timer is deferred to
/// `now + livelockBackoff` (counted in ``livelockDeferrals`` and traced as
/// ``TraceEntry/Event/timerDeferred(node:)``), so the clock always makes progress. A healthy
/// node never triggers it; the simulation suite counts any deferral as a violation. (A node whose
/// `pollTransmit` never returns nil, or two nodes bouncing datagrams over zero-delay links,
/// are not guarded against: give links a non-zero delay.)
///
/// **NAT rebinding.** ``rebind(_:toward:)`` gives a node a new address as one peer sees it (as
/// a NAT does when its mapping changes): the node's later datagrams reach the peer from that
/// address, the peer's datagrams to it reach the node, and its old address no longer does.
///
/// Nodes must not call back into the simulator from their callbacks.
///
/// ```swift
/// let simulator = NetworkSimulator(seed: seed)
/// let client = simulator.addNode(clientNode)
/// let server = simulator.addNode(serverNode)
/// var rng = SeededGenerator(seed: seed)
/// let options = LinkOptions.random(using: &rng, maxLoss: 0.3)
/// simulator.connectBidirectional(client, server, options: options)
///
/// let done = simulator.runUntil(deadline: .zero + .seconds(60)) { serverNode.received == 1000 }
/// #expect(done, "\(simulator.report)")   // prints the seed, options and counters on failure
/// ```
public final class NetworkSimulator {
    /// The seed every random draw of the run derives from.
    public let seed: UInt64
    /// The virtual clock.
    public var now: Timestamp { state.pointee.now }
    /// Every link, in the order they were connected.
    public var links: [Link] { state.pointee.links }
    /// Datagrams sent to a node with no link from the sender (or to no node at all).
    public var unroutableCount: Int { state.pointee.unroutableCount }
    /// How many times the livelock guard deferred a timer.
    public var livelockDeferrals: Int { state.pointee.livelockDeferrals }
    /// A hash of every delivery, drop and timeout so far (time, addresses, bytes): equal for
    /// two runs with the same seed and setup, and almost surely different otherwise.
    public var traceDigest: UInt64 { state.pointee.digest.value }
    /// Every event so far, if the simulator was created with `recordTrace: true`; else empty.
    public var trace: [TraceEntry] { state.pointee.trace }
    /// Whether ``trace`` is kept.
    public let recordsTrace: Bool
    /// How far the livelock guard pushes a spinning node's timer.
    public let livelockBackoff: Duration

    private struct NodeSlot {
        let node: any SimulatedNode
        /// The same node, if it reads and writes the simulator's buffers.
        let direct: (any DirectSimulatedNode)?
        /// When the current timer event fires, if one is scheduled.
        var scheduled: Timestamp?
        /// Bumped whenever the timer is rescheduled or cancelled; older timer events are stale.
        var generation: UInt64 = 0
        /// The instant of the last `handleTimeout` (nil before the first).
        var timeoutInstant: Timestamp?
        /// The link to each node by its index (`links` index, or -1: none), for routing
        /// without hashing.
        var outgoing: [Int] = []
        /// Received datagrams at this instant and waits to be serviced (it is in `pendingNodes`).
        var pending = false
    }

    private struct LinkKey: Hashable {
        var source: Int
        var destination: Int
    }

    /// Everything that changes as the simulation runs, behind a pointer the simulator owns. As
    /// stored properties of the class, each access in the event loop paid a run-time
    /// exclusivity check (about 90 instructions, some 50 per delivered message); through the
    /// pointer only the static checks remain. That is sound because nodes cannot drive the
    /// simulator from their callbacks, and the simulator calls a node only between its own
    /// accesses to this state (it copies what it needs into locals first), so a node that reads
    /// ``now`` or ``links`` from a callback never overlaps a write.
    private struct State {
        var now: Timestamp = .zero
        var links: [Link] = []
        var unroutableCount = 0
        var livelockDeferrals = 0
        var trace: [TraceEntry] = []
        var generator: SeededGenerator
        var slots: [NodeSlot] = []
        /// Used for lookups only, never iterated.
        var linkIndex: [LinkKey: Int] = [:]
        var events = EventQueue()
        var nextSequence: UInt64 = 0
        var digest = TraceDigest()
        var isDispatching = false
        var translation = AddressTranslation()
        /// The bytes of every datagram in flight.
        var store = DatagramStore()
        /// Nodes that received datagrams at this instant, in the order of their first one.
        var pendingNodes: [Int] = []
    }

    private let state: UnsafeMutablePointer<State>

    private var generator: SeededGenerator {
        _read { yield state.pointee.generator }
        _modify { yield &state.pointee.generator }
    }
    private var slots: [NodeSlot] {
        _read { yield state.pointee.slots }
        _modify { yield &state.pointee.slots }
    }
    private var linkIndex: [LinkKey: Int] {
        _read { yield state.pointee.linkIndex }
        _modify { yield &state.pointee.linkIndex }
    }
    private var events: EventQueue {
        _read { yield state.pointee.events }
        _modify { yield &state.pointee.events }
    }
    private var nextSequence: UInt64 {
        _read { yield state.pointee.nextSequence }
        _modify { yield &state.pointee.nextSequence }
    }
    private var digest: TraceDigest {
        _read { yield state.pointee.digest }
        _modify { yield &state.pointee.digest }
    }
    private var isDispatching: Bool {
        _read { yield state.pointee.isDispatching }
        _modify { yield &state.pointee.isDispatching }
    }
    private var translation: AddressTranslation {
        _read { yield state.pointee.translation }
        _modify { yield &state.pointee.translation }
    }
    private var store: DatagramStore {
        _read { yield state.pointee.store }
        _modify { yield &state.pointee.store }
    }
    private var pendingNodes: [Int] {
        _read { yield state.pointee.pendingNodes }
        _modify { yield &state.pointee.pendingNodes }
    }

    /// Creates an empty network at time zero.
    ///
    /// - Parameters:
    ///   - seed: determines every random draw of the run.
    ///   - recordTrace: keep every event in ``trace`` (memory grows with the run); the
    ///     ``traceDigest`` is computed either way.
    ///   - livelockBackoff: how far the guard defers a spinning node's timer (more than zero).
    public init(
        seed: UInt64,
        recordTrace: Bool = false,
        livelockBackoff: Duration = .milliseconds(1)
    ) {
        precondition(livelockBackoff.nanosecondsClamped > 0, "livelockBackoff must be positive")
        self.seed = seed
        self.recordsTrace = recordTrace
        self.livelockBackoff = livelockBackoff
        state = .allocate(capacity: 1)
        state.initialize(to: State(generator: SeededGenerator(seed: seed)))
    }

    deinit {
        state.pointee.store.deallocateAll()
        state.deinitialize(count: 1)
        state.deallocate()
    }

    // MARK: - Building the network

    /// Adds a node and returns its address (`node0`, `node1`, … in the order added).
    ///
    /// The node is polled (transmit queue drained, deadline read) at the current time once the
    /// simulation runs, so links may be connected after adding it.
    public func addNode(_ node: any SimulatedNode) -> SimulatedAddress {
        let index = slots.count
        slots.append(NodeSlot(node: node, direct: node as? any DirectSimulatedNode))
        schedule(.poll(node: index), at: now)
        return SimulatedAddress(node: index)
    }

    /// The number of nodes added.
    public var nodeCount: Int { slots.count }

    /// The node at `address`.
    public func node(at address: SimulatedAddress) -> any SimulatedNode {
        slots[address.node].node
    }

    /// Connects `source` to `destination` with a directed link; traps if that link exists
    /// (use ``updateLink(from:to:options:)`` to change it).
    ///
    /// The link's generator is forked from the simulator's, so links draw independent streams.
    public func connect(_ source: SimulatedAddress, _ destination: SimulatedAddress, options: LinkOptions) {
        precondition(
            slots.indices.contains(source.node) && slots.indices.contains(destination.node),
            "connect(\(source), \(destination)): unknown node")
        let key = LinkKey(source: source.node, destination: destination.node)
        precondition(linkIndex[key] == nil, "\(source)→\(destination) is already connected; use updateLink")
        linkIndex[key] = links.count
        if slots[source.node].outgoing.count <= destination.node {
            slots[source.node].outgoing += [Int](repeating: -1, count: destination.node + 1 - slots[source.node].outgoing.count)
        }
        slots[source.node].outgoing[destination.node] = links.count
        state.pointee.links.append(Link(from: source, to: destination, options: options, generator: generator.fork()))
    }

    /// Connects `a` and `b` in both directions with the same options (two independent links,
    /// `a → b` first).
    public func connectBidirectional(_ a: SimulatedAddress, _ b: SimulatedAddress, options: LinkOptions) {
        connectBidirectional(a, b, forward: options, backward: options)
    }

    /// Connects `a → b` with `forward` and `b → a` with `backward`.
    public func connectBidirectional(
        _ a: SimulatedAddress, _ b: SimulatedAddress, forward: LinkOptions, backward: LinkOptions
    ) {
        connect(a, b, options: forward)
        connect(b, a, options: backward)
    }

    /// Changes the conditions of the link `source → destination` from now on; traps if there
    /// is no such link.
    ///
    /// Datagrams already in flight keep their arrival times, and the link keeps its FIFO
    /// order, queue and burst state: a shorter delay only shows once the datagrams already
    /// scheduled have arrived.
    public func updateLink(from source: SimulatedAddress, to destination: SimulatedAddress, options: LinkOptions) {
        guard let index = linkIndex[LinkKey(source: source.node, destination: destination.node)] else {
            preconditionFailure("updateLink: no link \(source)→\(destination)")
        }
        state.pointee.links[index].update(options: options)
    }

    /// The link `source → destination`, if connected.
    public func link(from source: SimulatedAddress, to destination: SimulatedAddress) -> Link? {
        linkIndex[LinkKey(source: source.node, destination: destination.node)].map { links[$0] }
    }

    /// The counters of the link `source → destination`, if connected.
    public func statistics(from source: SimulatedAddress, to destination: SimulatedAddress) -> LinkStatistics? {
        link(from: source, to: destination)?.statistics
    }

    /// The counters of all links added together (unroutable datagrams are in ``unroutableCount``).
    public var totalStatistics: LinkStatistics {
        links.reduce(into: LinkStatistics()) { $0 += $1.statistics }
    }

    /// Gives `node` a new address as `peer` sees it, as a NAT between them that drops its
    /// mapping and makes a new one (on another port): from now on `node`'s datagrams to `peer`
    /// arrive from the returned address, `peer`'s datagrams to that address reach `node`, and
    /// those to `node`'s previous address towards `peer` are unroutable (counted in
    /// ``unroutableCount``). Datagrams in flight keep the source they were sent with. The new
    /// address is a number above every node's (`node` of at least 1,000,000), not a node of its own;
    /// traffic between `node` and other peers is unchanged. Deterministic: the addresses are
    /// handed out in order.
    @discardableResult
    public func rebind(_ node: SimulatedAddress, toward peer: SimulatedAddress) -> SimulatedAddress {
        precondition(
            slots.indices.contains(node.node) && slots.indices.contains(peer.node), "rebind(\(node), toward: \(peer)): unknown node")
        return SimulatedAddress(node: translation.rebind(node.node, toward: peer.node))
    }

    /// The address `node` currently appears under to `peer` (its own unless rebound).
    public func externalAddress(of node: SimulatedAddress, toward peer: SimulatedAddress) -> SimulatedAddress {
        SimulatedAddress(node: translation.source(of: node.node, toward: peer.node))
    }

    /// A new generator forked from the simulator's, for a node that needs randomness; call it
    /// in the same order every run.
    public func makeGenerator() -> SeededGenerator {
        generator.fork()
    }

    // MARK: - Running

    /// Processes the next event, advancing the clock to its time: a timer, or every datagram
    /// that arrives at that instant (see "Driving nodes" above). Stale timer events are
    /// skipped. Returns false if nothing is left to do.
    @discardableResult
    public func step() -> Bool {
        precondition(!isDispatching, "NetworkSimulator must not be driven from a node callback")
        while let event = events.popMin() {
            if dispatch(event) { return true }
        }
        return false
    }

    /// Processes every event up to and including `deadline`, then sets the clock to `deadline`
    /// (if it is later than now).
    public func run(until deadline: Timestamp) {
        precondition(!isDispatching, "NetworkSimulator must not be driven from a node callback")
        while let next = events.min, next.time <= deadline {
            dispatch(events.removeMin())
        }
        if deadline > now { state.pointee.now = deadline }
    }

    /// Runs for `duration` of virtual time from now.
    public func run(for duration: Duration) {
        run(until: now + duration)
    }

    /// Processes events until `condition` holds (checked before starting and after every
    /// event) or `deadline` passes. Returns whether the condition holds; on success the clock is
    /// at the time of the event that made it true, otherwise at `deadline`.
    @discardableResult
    public func runUntil(deadline: Timestamp, _ condition: () -> Bool) -> Bool {
        precondition(!isDispatching, "NetworkSimulator must not be driven from a node callback")
        if condition() { return true }
        while let next = events.min, next.time <= deadline {
            if dispatch(events.removeMin()), condition() { return true }
        }
        if deadline > now { state.pointee.now = deadline }
        return condition()
    }

    /// Drains `address`'s transmit queue and re-reads its deadline, now. Call it after changing
    /// a node from outside the simulator (for example a test enqueuing a message), since the
    /// simulator otherwise only polls a node after its own callbacks.
    public func poll(_ address: SimulatedAddress) {
        precondition(!isDispatching, "NetworkSimulator must not be driven from a node callback")
        isDispatching = true
        defer { isDispatching = false }
        drain(address.node)
    }

    // MARK: - Events

    private func schedule(_ action: SimulatorEvent.Action, at time: Timestamp) {
        events.insert(SimulatorEvent(time: time, sequence: nextSequence, action: action))
        nextSequence += 1
    }

    /// Carries out `event`; returns false (leaving the clock alone) if it was stale.
    @discardableResult
    private func dispatch(_ event: SimulatorEvent) -> Bool {
        isDispatching = true
        defer { isDispatching = false }
        switch event.action {
        case let .timer(index, generation):
            guard slots[index].generation == generation else { return false }
            slots[index].scheduled = nil
            let node = slots[index].node
            guard let deadline = node.nextDeadline(), deadline <= event.time else {
                // The node moved its deadline without the simulator seeing it: reschedule.
                refreshDeadline(index)
                return false
            }
            advanceClock(to: event.time)
            slots[index].timeoutInstant = now
            record(.timeout(node: SimulatedAddress(node: index)))
            node.handleTimeout(at: now)
            drain(index)

        case let .delivery(link, datagram, source):
            advanceClock(to: event.time)
            deliver(datagram, over: link, from: source)
            // Every datagram of this instant goes in before any node is serviced, up to the next
            // timer (which was scheduled before the datagrams after it).
            while let next = events.min, next.time == now, case let .delivery(link, datagram, source) = next.action {
                events.removeMin()
                deliver(datagram, over: link, from: source)
            }
            var serviced = 0
            while serviced < pendingNodes.count {
                let index = pendingNodes[serviced]
                serviced += 1
                slots[index].pending = false
                drain(index)
            }
            pendingNodes.removeAll(keepingCapacity: true)

        case let .poll(index):
            advanceClock(to: event.time)
            drain(index)
        }
        return true
    }

    private func advanceClock(to time: Timestamp) {
        assert(time >= now, "event queue went back in time")
        state.pointee.now = time
    }

    /// Hands the datagram in `slot` to the destination of `links[link]`; the node is serviced
    /// once every datagram of the instant is in.
    private func deliver(_ slot: Int, over link: Int, from source: SimulatedAddress) {
        let bytes = store.bytes(slot)
        state.pointee.links[link].recordDelivery(size: bytes.count)
        let destination = state.pointee.links[link].destination
        record(
            .delivered(
                source: source, destination: destination, size: bytes.count,
                fingerprint: TraceDigest.fingerprint(of: bytes)))
        let index = destination.node
        if let direct = slots[index].direct {
            direct.receive(bytes, from: source, at: now)
        } else {
            let node = slots[index].node
            node.receive(Array(bytes), from: source, at: now)
        }
        store.release(slot)
        if !slots[index].pending {
            slots[index].pending = true
            pendingNodes.append(index)
        }
    }

    /// Sends everything the node has to send, then reschedules its timer.
    private func drain(_ index: Int) {
        let source = SimulatedAddress(node: index)
        if let direct = slots[index].direct {
            let capacity = direct.maximumDatagramSize
            while true {
                let slot = store.take(capacity: capacity)
                guard let (count, destination) = direct.pollTransmit(into: store.buffer(slot), at: now) else {
                    store.giveBack(slot)
                    break
                }
                precondition(count <= capacity, "\(direct) wrote \(count) bytes, more than its maximumDatagramSize \(capacity)")
                route(slot, count: count, from: source, to: destination)
            }
        } else {
            let node = slots[index].node
            while let (datagram, destination) = node.pollTransmit(at: now) {
                let slot = store.take(capacity: datagram.count)
                datagram.withUnsafeBytes { store.buffer(slot).copyMemory(from: $0) }
                route(slot, count: datagram.count, from: source, to: destination)
            }
        }
        refreshDeadline(index)
    }

    /// The link `source → destination` (-1: none), without hashing.
    private func outgoingLink(from source: Int, to destination: Int) -> Int {
        guard source >= 0, source < slots.count, destination >= 0, destination < slots[source].outgoing.count else { return -1 }
        return slots[source].outgoing[destination]
    }

    /// Puts the datagram of `count` bytes written in `slot` on the link to its destination (or
    /// drops it), and gives the slot back if it goes nowhere.
    private func route(_ slot: Int, count: Int, from source: SimulatedAddress, to destination: SimulatedAddress) {
        var target = destination.node
        var presented = source
        if !translation.isEmpty {
            guard let node = translation.target(of: destination.node, from: source.node) else {
                state.pointee.unroutableCount += 1
                recordDrop(slot, count: count, from: source, to: destination, reason: .unroutable)
                store.giveBack(slot)
                return
            }
            target = node
            presented = SimulatedAddress(node: translation.source(of: source.node, toward: target))
        }
        let index = outgoingLink(from: source.node, to: target)
        guard index >= 0 else {
            state.pointee.unroutableCount += 1
            recordDrop(slot, count: count, from: source, to: destination, reason: .unroutable)
            store.giveBack(slot)
            return
        }
        switch state.pointee.links[index].transmit(size: count, at: now) {
        case let .dropped(reason):
            recordDrop(slot, count: count, from: source, to: destination, reason: reason)
            store.giveBack(slot)
        case let .carried(carried):
            if carried.corrupted {
                let buffer = store.buffer(slot)
                for bit in carried.flippedBits {
                    buffer[bit / 8] ^= UInt8(1) << UInt8(bit % 8)
                }
            }
            store.hold(slot, count: count, deliveries: carried.duplicateArrival == nil ? 1 : 2)
            schedule(.delivery(link: index, datagram: slot, source: presented), at: carried.arrival)
            if let duplicateArrival = carried.duplicateArrival {
                schedule(.delivery(link: index, datagram: slot, source: presented), at: duplicateArrival)
            }
        }
    }

    /// Reads the node's deadline and makes sure exactly one live timer event matches it.
    private func refreshDeadline(_ index: Int) {
        let node = slots[index].node
        guard let deadline = node.nextDeadline() else {
            if slots[index].scheduled != nil {
                slots[index].scheduled = nil
                slots[index].generation += 1
            }
            return
        }
        var due = max(deadline, now)
        var deferred = false
        if due == now, slots[index].timeoutInstant == now {
            due = now + livelockBackoff
            deferred = true
        }
        if slots[index].scheduled == due { return }
        if deferred {
            state.pointee.livelockDeferrals += 1
            record(.timerDeferred(node: SimulatedAddress(node: index)))
        }
        slots[index].scheduled = due
        slots[index].generation += 1
        schedule(.timer(node: index, generation: slots[index].generation), at: due)
    }

    // MARK: - Trace

    private func recordDrop(
        _ slot: Int, count: Int, from source: SimulatedAddress, to destination: SimulatedAddress,
        reason: DropReason
    ) {
        let bytes = UnsafeRawBufferPointer(start: store.buffer(slot).baseAddress, count: count)
        record(
            .dropped(
                source: source, destination: destination, size: count,
                fingerprint: TraceDigest.fingerprint(of: bytes), reason: reason))
    }

    private func record(_ event: TraceEntry.Event) {
        digest.mix(now.nanoseconds)
        switch event {
        case let .delivered(source, destination, size, fingerprint):
            digest.mix(1)
            digest.mix(UInt64(source.node))
            digest.mix(UInt64(destination.node))
            digest.mix(UInt64(size))
            digest.mix(fingerprint)
        case let .dropped(source, destination, size, fingerprint, reason):
            digest.mix(2)
            digest.mix(UInt64(source.node))
            digest.mix(UInt64(destination.node))
            digest.mix(UInt64(size))
            digest.mix(fingerprint)
            digest.mix(reason.digestCode)
        case let .timeout(node):
            digest.mix(3)
            digest.mix(UInt64(node.node))
        case let .timerDeferred(node):
            digest.mix(4)
            digest.mix(UInt64(node.node))
        }
        if recordsTrace {
            state.pointee.trace.append(TraceEntry(time: now, event: event))
        }
    }
}

extension DropReason {
    /// A stable number for the trace digest.
    fileprivate var digestCode: UInt64 {
        switch self {
        case .loss: 1
        case .burstLoss: 2
        case .queueFull: 3
        case .partition: 4
        case .unroutable: 5
        default: 6  // a reason newer than this table: give it its own number here
        }
    }
}
