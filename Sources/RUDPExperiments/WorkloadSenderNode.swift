import RUDPCore
import RUDPSimulation
import RUDPWire

/// The sending side of an experiment: an `Endpoint` that connects to the receiver and offers
/// the ``ExperimentWorkload``'s messages, each starting with its offer time, either as fast as
/// the send buffer takes them or on a timer at a fixed rate.
///
/// Used by ``ExperimentRunner``; it is a `SimulatedNode` whose deadline is the earlier of
/// the endpoint's and the next scheduled offer.
///
/// ```swift
/// let sender = WorkloadSenderNode(configuration: config, seed: 2, workload: workload)
/// let address = simulator.addNode(sender)
/// sender.connect(to: receiverAddress, at: simulator.now)
/// ```
public final class WorkloadSenderNode: DirectSimulatedNode {
    /// The engine.
    public let endpoint: Endpoint
    /// What to send.
    public let workload: ExperimentWorkload
    /// The send buffer's limits (`ConnectionConfiguration/sendBufferMessages` and
    /// `ConnectionConfiguration/sendBufferBytes`).
    private let sendBufferMessages: Int
    private let sendBufferBytes: Int
    /// The connection to the receiver, once ``connect(to:at:)`` was called.
    public private(set) var connection: ConnectionID? {
        get { state.pointee.connection }
        set { state.pointee.connection = newValue }
    }
    /// When the handshake completed (and offering began).
    public private(set) var start: Timestamp? {
        get { state.pointee.start }
        set { state.pointee.start = newValue }
    }
    /// Messages the application offered.
    public private(set) var offered: Int {
        get { state.pointee.offered }
        set { state.pointee.offered = newValue }
    }
    /// Messages the engine accepted.
    public private(set) var accepted: Int {
        get { state.pointee.accepted }
        set { state.pointee.accepted = newValue }
    }
    /// Messages dropped because the application backlog was full (rate mode only).
    public private(set) var refused: Int {
        get { state.pointee.refused }
        set { state.pointee.refused = newValue }
    }
    /// Reliable messages acknowledged by the receiver.
    public private(set) var acknowledged: Int {
        get { state.pointee.acknowledged }
        set { state.pointee.acknowledged = newValue }
    }
    /// Reliable messages that failed (the connection ended first).
    public private(set) var failed: Int {
        get { state.pointee.failed }
        set { state.pointee.failed = newValue }
    }
    /// Why the connection ended, if it did.
    public private(set) var closeReason: CloseReason? {
        get { state.pointee.closeReason }
        set { state.pointee.closeReason = newValue }
    }
    /// When the last message was offered.
    public private(set) var lastOfferTime: Timestamp? {
        get { state.pointee.lastOfferTime }
        set { state.pointee.lastOfferTime = newValue }
    }

    /// What changes as the node runs, behind a pointer the node owns: as stored properties of
    /// the class, each access paid a run-time exclusivity check (some 20 per message). Sound
    /// because nothing the node calls (the endpoint) calls back into it.
    private struct State {
        var connection: ConnectionID?
        var start: Timestamp?
        /// `start` plus the workload's duration, once started.
        var offerDeadline: Timestamp?
        var offered = 0
        var accepted = 0
        var refused = 0
        var acknowledged = 0
        var failed = 0
        var closeReason: CloseReason?
        var lastOfferTime: Timestamp?
        /// Offer times of messages waiting for room in the send buffer, from `backlogHead`.
        var backlog: [Timestamp] = []
        var backlogHead = 0
        /// When the next message is due (rate mode).
        var nextOffer: Timestamp?
        /// Messages offered in rate mode, to compute the next offer time exactly.
        var offerIndex: UInt64 = 0
        var message: [UInt8]
        /// The engine refused a message for a full send buffer: offer more only after
        /// `ConnectionEvent/writable` (an acknowledgement alone does not make room for one).
        var waitsForRoom = false
        /// Where the endpoint writes each datagram (for ``pollTransmit(at:)`` only).
        var scratch = TransmitScratch()
        /// The connection object, kept so its statistics outlive its removal from the endpoint.
        var engine: Connection?
    }

    private let state: UnsafeMutablePointer<State>

    private var backlog: [Timestamp] {
        _read { yield state.pointee.backlog }
        _modify { yield &state.pointee.backlog }
    }
    private var backlogHead: Int {
        _read { yield state.pointee.backlogHead }
        _modify { yield &state.pointee.backlogHead }
    }
    private var nextOffer: Timestamp? {
        _read { yield state.pointee.nextOffer }
        _modify { yield &state.pointee.nextOffer }
    }
    private var offerIndex: UInt64 {
        _read { yield state.pointee.offerIndex }
        _modify { yield &state.pointee.offerIndex }
    }
    private var waitsForRoom: Bool {
        _read { yield state.pointee.waitsForRoom }
        _modify { yield &state.pointee.waitsForRoom }
    }
    private var engine: Connection? {
        _read { yield state.pointee.engine }
        _modify { yield &state.pointee.engine }
    }

    /// A sender for `workload` whose endpoint uses `configuration` and draws IDs from `seed`.
    public init(configuration: ConnectionConfiguration, seed: UInt64, workload: ExperimentWorkload) {
        endpoint = Endpoint(configuration: EndpointConfiguration(connection: configuration), randomness: SeededGenerator(seed: seed))
        self.workload = workload
        sendBufferMessages = configuration.sendBufferMessages
        sendBufferBytes = configuration.sendBufferBytes
        state = .allocate(capacity: 1)
        state.initialize(to: State(message: [UInt8](repeating: 0xA5, count: workload.messageSize)))
    }

    deinit {
        state.deinitialize(count: 1)
        state.deallocate()
    }

    /// Opens the connection; the simulator sends the handshake when it next polls this node.
    public func connect(to address: SimulatedAddress, at now: Timestamp) {
        let id = endpoint.connect(to: address.peerAddress, at: now)
        connection = id
        engine = endpoint.connection(id)
    }

    /// When offering stops: the end of the workload's duration, if it has one (once started).
    public var offerDeadline: Timestamp? { state.pointee.offerDeadline }

    /// Whether the application has nothing more to offer (count reached or time up).
    public func isDoneOffering(at now: Timestamp) -> Bool {
        if let count = workload.messageCount, offered >= count { return true }
        if let deadline = offerDeadline, now >= deadline { return true }
        return closeReason != nil
    }

    /// Whether everything offered has left the application and the engine's send buffer.
    public func isDrained(at now: Timestamp) -> Bool {
        guard isDoneOffering(at: now), backlogHead == backlog.count else { return false }
        guard let id = connection, let c = endpoint.connection(id) else { return true }
        return c.isSendBufferEmpty
    }

    /// The connection's statistics (zero before connecting; final once it is gone).
    public var statistics: ConnectionStatistics {
        engine?.statistics ?? ConnectionStatistics()
    }

    // MARK: - DirectSimulatedNode

    /// The endpoint's largest datagram.
    public var maximumDatagramSize: Int { endpoint.maximumDatagramSize }

    /// Hands the datagram to the endpoint (its events are taken when the node is polled).
    public func receive(_ datagram: UnsafeRawBufferPointer, from source: SimulatedAddress, at now: Timestamp) {
        endpoint.handle(datagram: datagram, from: source.peerAddress, at: now)
    }

    /// Reacts to the endpoint's events, then writes its next datagram into `buffer`.
    public func pollTransmit(into buffer: UnsafeMutableRawBufferPointer, at now: Timestamp) -> (
        byteCount: Int, destination: SimulatedAddress
    )? {
        drainEvents(at: now)
        while true {
            if let transmit = endpoint.pollTransmit(into: buffer, at: now) {
                return (transmit.byteCount, SimulatedAddress(transmit.destination))
            }
            guard drainEvents(at: now) else { return nil }
        }
    }

    // MARK: - SimulatedNode

    /// Hands the datagram to the endpoint, then reacts to its events.
    public func receive(_ datagram: [UInt8], from source: SimulatedAddress, at now: Timestamp) {
        endpoint.handle(datagram: datagram, from: source.peerAddress, at: now)
        drainEvents(at: now)
    }

    /// Fires the endpoint's timers and offers the messages that are due.
    public func handleTimeout(at now: Timestamp) {
        if let deadline = endpoint.nextDeadline(), deadline <= now {
            endpoint.handleTimeout(at: now)
        }
        if let due = nextOffer, due <= now {
            offerDue(at: now)
        }
        drainEvents(at: now)
    }

    /// The endpoint's next datagram, if any.
    public func pollTransmit(at now: Timestamp) -> (datagram: [UInt8], destination: SimulatedAddress)? {
        if let next = state.pointee.scratch.poll(endpoint, at: now) { return next }
        drainEvents(at: now)
        return state.pointee.scratch.poll(endpoint, at: now)
    }

    /// The earlier of the endpoint's deadline and the next scheduled offer.
    public func nextDeadline() -> Timestamp? {
        let engine = endpoint.nextDeadline()
        guard let offer = nextOffer else { return engine }
        guard let engine else { return offer }
        return min(engine, offer)
    }

    // MARK: - Offering

    /// Reacts to every pending event, then offers messages if one of them may have made room;
    /// returns whether there was any event.
    @discardableResult
    private func drainEvents(at now: Timestamp) -> Bool {
        var any = false
        var pumps = false
        while let (id, event) = endpoint.pollEvent() {
            any = true
            guard id == connection else { continue }
            switch event {
            case .connected:
                start = now
                state.pointee.offerDeadline = workload.duration.map { now + $0 }
                if let rate = workload.messageRate, rate > 0 {
                    nextOffer = now
                    offerIndex = 0
                }
                pumps = true
            case .acknowledged:
                acknowledged += 1
                if !waitsForRoom { pumps = true }
            case .writable:
                waitsForRoom = false
                pumps = true
            case .failed:
                failed += 1
            case .closed(let reason):
                closeReason = reason
                nextOffer = nil
            case .message(let message):
                endpoint.releaseCredit(message, on: id)  // nothing to do with it: consumed
            }
        }
        // Once, after every event is counted (see `sendBufferIsFull`): the engine released the
        // acknowledged messages when it handled the datagram, so the same messages go out as
        // with an offer after each event.
        if pumps { pump(at: now) }
        return any
    }

    /// Whether the engine would certainly refuse another message for a full send buffer, so
    /// that the node does not ask (a refused send costs about as much as an accepted one, and
    /// an unlimited workload would make one per acknowledgement). A reliable message leaves the
    /// buffer only when it is acknowledged or fails, each with an event this node counts, and
    /// the node offers only with every event taken, so the buffer holds exactly `accepted −
    /// acknowledged − failed` messages of the workload's size. The engine's third limit (the
    /// span of message IDs) is left to the engine.
    private var sendBufferIsFull: Bool {
        guard workload.mode.isReliable else { return false }
        let held = accepted - acknowledged - failed
        return held >= sendBufferMessages || (held + 1) * workload.messageSize > sendBufferBytes
    }

    /// Offers every message whose scheduled time has come (rate mode).
    private func offerDue(at now: Timestamp) {
        guard let rate = workload.messageRate, let start else { return }
        let interval = 1e9 / rate
        while let due = nextOffer, due <= now {
            if isDoneOffering(at: due) {
                nextOffer = nil
                break
            }
            offered += 1
            lastOfferTime = due
            if backlog.count - backlogHead >= workload.backlogLimit {
                refused += 1
            } else {
                backlog.append(due)
            }
            offerIndex += 1
            nextOffer = start.adding(nanoseconds: UInt64((Double(offerIndex) * interval).rounded()))
        }
        pump(at: now)
    }

    /// Hands messages to the engine until it refuses one.
    private func pump(at now: Timestamp) {
        guard let id = connection, start != nil, closeReason == nil else { return }
        if workload.messageRate != nil {
            while backlogHead < backlog.count {
                guard send(offeredAt: backlog[backlogHead], on: id) else { break }
                backlogHead += 1
            }
            if backlogHead == backlog.count {
                backlog.removeAll(keepingCapacity: true)
                backlogHead = 0
            } else if backlogHead >= 4096, backlogHead * 2 >= backlog.count {
                backlog.removeFirst(backlogHead)
                backlogHead = 0
            }
        } else {
            while !isDoneOffering(at: now) {
                guard send(offeredAt: now, on: id) else { break }
                offered += 1
                lastOfferTime = now
            }
        }
    }

    /// Sends one message stamped with `time`; false if the send buffer is full or the
    /// connection is closing.
    private func send(offeredAt time: Timestamp, on id: ConnectionID) -> Bool {
        if sendBufferIsFull { return false }
        // One write (not eight element assignments, each checking that the array is unique).
        state.pointee.message.withUnsafeMutableBytes { $0.storeBytes(of: time.nanoseconds.littleEndian, as: UInt64.self) }
        do {
            try endpoint.send(state.pointee.message, on: id, channel: 0, mode: workload.mode)
            accepted += 1
            return true
        } catch .sendBufferFull {
            waitsForRoom = true
            return false
        } catch {
            return false
        }
    }
}
