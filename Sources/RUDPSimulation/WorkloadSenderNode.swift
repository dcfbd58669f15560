import RUDPCore
import RUDPWire

/// The sending side of an experiment: an ``Endpoint`` that connects to the receiver and offers
/// the ``ExperimentWorkload``'s messages, each starting with its offer time, either as fast as
/// the send buffer takes them or on a timer at a fixed rate.
///
/// Used by ``ExperimentRunner``; it is a ``SimulatedNode`` whose deadline is the earlier of
/// the endpoint's and the next scheduled offer.
///
/// ```swift
/// let sender = WorkloadSenderNode(configuration: config, seed: 2, workload: workload)
/// let address = simulator.addNode(sender)
/// sender.connect(to: receiverAddress, at: simulator.now)
/// ```
public final class WorkloadSenderNode: SimulatedNode {
    /// The engine.
    public let endpoint: Endpoint
    /// What to send.
    public let workload: ExperimentWorkload
    /// The connection to the receiver, once ``connect(to:at:)`` was called.
    public private(set) var connection: ConnectionID?
    /// When the handshake completed (and offering began).
    public private(set) var start: Timestamp?
    /// Messages the application offered.
    public private(set) var offered = 0
    /// Messages the engine accepted.
    public private(set) var accepted = 0
    /// Messages dropped because the application backlog was full (rate mode only).
    public private(set) var refused = 0
    /// Reliable messages acknowledged by the receiver.
    public private(set) var acknowledged = 0
    /// Reliable messages that failed (the connection ended first).
    public private(set) var failed = 0
    /// Why the connection ended, if it did.
    public private(set) var closeReason: CloseReason?
    /// When the last message was offered.
    public private(set) var lastOfferTime: Timestamp?

    /// Offer times of messages waiting for room in the send buffer, from `backlogHead`.
    private var backlog: [Timestamp] = []
    private var backlogHead = 0
    /// When the next message is due (rate mode).
    private var nextOffer: Timestamp?
    /// Nanoseconds between offers, scaled by 2^16 to keep fractional rates exact over long runs.
    private var offerIndex: UInt64 = 0
    private var message: [UInt8]
    /// Where the endpoint writes each datagram.
    private var scratch = TransmitScratch()

    /// A sender for `workload` whose endpoint uses `configuration` and draws IDs from `seed`.
    public init(configuration: ConnectionConfiguration, seed: UInt64, workload: ExperimentWorkload) {
        endpoint = Endpoint(configuration: EndpointConfiguration(connection: configuration), randomness: SeededGenerator(seed: seed))
        self.workload = workload
        message = [UInt8](repeating: 0xA5, count: workload.messageSize)
    }

    /// Opens the connection; the simulator sends the handshake when it next polls this node.
    public func connect(to address: SimulatedAddress, at now: Timestamp) {
        let id = endpoint.connect(to: address.peerAddress, at: now)
        connection = id
        engine = endpoint.connection(id)
    }

    /// When offering stops: the end of the workload's duration, if it has one.
    public var offerDeadline: Timestamp? {
        guard let start, let duration = workload.duration else { return nil }
        return start + duration
    }

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

    /// The connection object, kept so its statistics outlive its removal from the endpoint.
    private var engine: Connection?

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
        if let next = scratch.poll(endpoint, at: now) { return next }
        drainEvents(at: now)
        return scratch.poll(endpoint, at: now)
    }

    /// The earlier of the endpoint's deadline and the next scheduled offer.
    public func nextDeadline() -> Timestamp? {
        let engine = endpoint.nextDeadline()
        guard let offer = nextOffer else { return engine }
        guard let engine else { return offer }
        return min(engine, offer)
    }

    // MARK: - Offering

    private func drainEvents(at now: Timestamp) {
        while let (id, event) = endpoint.pollEvent() {
            guard id == connection else { continue }
            switch event {
            case .connected:
                start = now
                if let rate = workload.messageRate, rate > 0 {
                    nextOffer = now
                    offerIndex = 0
                }
                pump(at: now)
            case .acknowledged:
                acknowledged += 1
                pump(at: now)
            case .writable:
                pump(at: now)
            case .failed:
                failed += 1
            case .closed(let reason):
                closeReason = reason
                nextOffer = nil
            case .message(let message):
                endpoint.releaseCredit(message, on: id)   // nothing to do with it: consumed
            }
        }
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
        withUnsafeBytes(of: time.nanoseconds.littleEndian) { raw in
            for index in 0..<8 { message[index] = raw[index] }
        }
        do {
            try endpoint.send(message, on: id, channel: 0, mode: workload.mode)
            accepted += 1
            return true
        } catch {
            return false
        }
    }
}
