import RUDPCore

/// One directed link of the simulated network: its ``LinkOptions``, its own random generator
/// (forked from the simulator's when the link is connected) and its ``LinkStatistics``.
///
/// Links are created and driven by ``NetworkSimulator``; read them through
/// ``NetworkSimulator/links`` or ``NetworkSimulator/link(from:to:)``.
///
/// **Jitter does not reorder.** Each datagram that is not picked by the reordering option
/// arrives at `max(departure + delay + jitter draw, arrival of the previous such datagram)`.
/// Real paths mostly keep order, and a protocol should be tested against reordering at a rate
/// one chooses (``LinkOptions/reordering``), not at a rate that falls out of the jitter and the
/// send rate. A reordered datagram does not take part in that ordering: it gets an extra delay
/// and later datagrams overtake it.
///
/// ```swift
/// let link = simulator.link(from: client, to: server)!
/// print(link.options, link.statistics)
/// ```
public struct Link: Sendable {
    /// The sending node.
    public let source: SimulatedAddress
    /// The receiving node.
    public let destination: SimulatedAddress
    /// The current conditions (changed by ``NetworkSimulator/updateLink(from:to:options:)``).
    public internal(set) var options: LinkOptions
    /// The link's counters.
    public internal(set) var statistics = LinkStatistics()

    /// The link's own random stream; every draw for this link comes from it.
    private var generator: SeededGenerator
    /// Gilbert-Elliott state.
    private var inBadState = false
    /// Arrival time of the last datagram delivered in order (not reordered).
    private var lastInOrderArrival = Timestamp.zero
    /// When the bottleneck finishes serializing what it holds.
    private var busyUntil = Timestamp.zero
    /// Datagrams not yet fully serialized: departure time and size, FIFO from `queueHead`.
    private var queue: [(departure: Timestamp, size: Int)] = []
    private var queueHead = 0
    /// Sum of the sizes in `queue[queueHead...]`.
    private var queuedBytes = 0

    init(from source: SimulatedAddress, to destination: SimulatedAddress, options: LinkOptions,
         generator: SeededGenerator) {
        options.validate()
        self.source = source
        self.destination = destination
        self.options = options
        self.generator = generator
    }

    /// Bytes waiting in the bottleneck queue (including the datagram being serialized) at `now`.
    public func queuedBytes(at now: Timestamp) -> Int {
        var bytes = queuedBytes
        var index = queueHead
        while index < queue.count, queue[index].departure <= now {
            bytes -= queue[index].size
            index += 1
        }
        return bytes
    }

    /// What happened to a datagram handed to the link.
    enum Outcome {
        case dropped(DropReason)
        /// Carried: the (possibly corrupted) bytes, when they arrive, and when a duplicate
        /// arrives, if any.
        case carried(datagram: [UInt8], arrival: Timestamp, duplicateArrival: Timestamp?)
    }

    /// Replaces the options; in-flight datagrams, the queue and the burst state are kept.
    mutating func update(options: LinkOptions) {
        options.validate()
        self.options = options
    }

    /// Runs `datagram`, sent at `now`, through the link's stages (see ``LinkOptions``).
    mutating func transmit(_ datagram: [UInt8], at now: Timestamp) -> Outcome {
        statistics.sent += 1
        statistics.bytesSent += datagram.count

        if options.partitions.contains(where: { $0.contains(now) }) {
            statistics.droppedByPartition += 1
            return .dropped(.partition)
        }

        var departure = now
        if let rate = options.bandwidth {
            releaseQueue(upTo: now)
            if queuedBytes + datagram.count > options.queueCapacity {
                statistics.droppedByQueue += 1
                return .dropped(.queueFull)
            }
            // ceil(size / rate) in nanoseconds.
            let scaled = UInt64(datagram.count) * 1_000_000_000
            let serialization = (scaled + UInt64(rate) - 1) / UInt64(rate)
            departure = max(now, busyUntil).adding(nanoseconds: serialization)
            busyUntil = departure
            queue.append((departure, datagram.count))
            queuedBytes += datagram.count
        }

        if let model = options.burstLoss {
            let lost = generator.chance(inBadState ? model.lossInBad : model.lossInGood)
            if inBadState {
                if generator.chance(model.badToGood) { inBadState = false }
            } else if generator.chance(model.goodToBad) {
                inBadState = true
            }
            if lost {
                statistics.droppedByBurst += 1
                return .dropped(.burstLoss)
            }
        }
        if generator.chance(options.loss) {
            statistics.droppedByLoss += 1
            return .dropped(.loss)
        }

        var bytes = datagram
        if !bytes.isEmpty, generator.chance(options.corruption) {
            flipBits(in: &bytes)
            statistics.corrupted += 1
        }

        let delay = options.delay.nanosecondsClamped
        let base = departure.adding(nanoseconds: delay)
        let arrival: Timestamp
        if generator.chance(options.reordering) {
            statistics.reordered += 1
            let maxExtra = delay.multipliedReportingOverflow(by: 2).partialValue
                &+ options.reorderExtraDelay.nanosecondsClamped
            arrival = base.adding(nanoseconds: drawJitter()).adding(nanoseconds: 1 + generator.uniform(through: maxExtra))
        } else {
            arrival = inOrderArrival(after: base)
        }

        var duplicateArrival: Timestamp?
        if generator.chance(options.duplication) {
            statistics.duplicated += 1
            duplicateArrival = inOrderArrival(after: base)
        }
        return .carried(datagram: bytes, arrival: arrival, duplicateArrival: duplicateArrival)
    }

    /// Counts a datagram handed to the destination node.
    mutating func recordDelivery(size: Int) {
        statistics.delivered += 1
        statistics.bytesDelivered += size
    }

    private mutating func drawJitter() -> UInt64 {
        let jitter = options.jitter.nanosecondsClamped
        return jitter > 0 ? generator.uniform(through: jitter) : 0
    }

    /// `base` plus jitter, but never before the previous in-order arrival.
    private mutating func inOrderArrival(after base: Timestamp) -> Timestamp {
        let arrival = max(base.adding(nanoseconds: drawJitter()), lastInOrderArrival)
        lastInOrderArrival = arrival
        return arrival
    }

    /// Forgets datagrams fully serialized by `now`.
    private mutating func releaseQueue(upTo now: Timestamp) {
        while queueHead < queue.count, queue[queueHead].departure <= now {
            queuedBytes -= queue[queueHead].size
            queueHead += 1
        }
        if queueHead == queue.count {
            queue.removeAll(keepingCapacity: true)
            queueHead = 0
        } else if queueHead >= 1024, queueHead * 2 >= queue.count {
            queue.removeFirst(queueHead)
            queueHead = 0
        }
    }

    /// Flips 1 to 3 distinct random bits.
    private mutating func flipBits(in bytes: inout [UInt8]) {
        let bitCount = UInt64(bytes.count) * 8
        let flips = min(1 + Int(generator.uniform(through: 2)), Int(min(bitCount, 3)))
        var chosen: [UInt64] = []
        while chosen.count < flips {
            let bit = generator.uniform(through: bitCount - 1)
            if chosen.contains(bit) { continue }
            chosen.append(bit)
            bytes[Int(bit / 8)] ^= UInt8(1) << UInt8(bit % 8)
        }
    }
}
