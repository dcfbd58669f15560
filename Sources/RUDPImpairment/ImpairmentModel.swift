import RUDPCore

/// The per-datagram decisions of one directed link, as a pure, seeded value: given a datagram's
/// size and the time it is sent, what happens to it (dropped and why, or carried: when it
/// arrives, which bits are flipped, whether it is held back or duplicated).
///
/// It applies the stages of ``LinkOptions`` in their documented order and holds the state they
/// need (the random stream, the Gilbert-Elliott state, the bottleneck queue, the last in-order
/// arrival). It reads no clock and touches no bytes: the same options, seed and sequence of
/// `(size, time)` inputs always give the same decisions. `RUDPSimulation.Link` (virtual time)
/// and the `RUDPProxy` module (real time, over sockets) both use it, so the simulator and the
/// proxy speak the same language.
///
/// ```swift
/// var model = ImpairmentModel(options: LinkOptions(delay: .zero, loss: 0.1),
///                             generator: SeededGenerator(seed: 42))
/// switch model.decide(size: 1200, at: .zero) {
/// case let .dropped(reason): print("dropped:", reason)
/// case let .carried(carried): print("arrives at", carried.arrival)
/// }
/// ```
public struct ImpairmentModel: Sendable {
    /// The current conditions.
    public private(set) var options: LinkOptions

    /// Every draw of this model comes from this stream.
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
    /// The options' durations in nanoseconds, converted once (a `Duration` is 128 bits wide:
    /// converting per datagram cost more than the rest of the decision).
    private var delayNanoseconds: UInt64
    private var jitterNanoseconds: UInt64
    private var reorderExtraDelayNanoseconds: UInt64

    /// A model with `options` drawing from `generator`.
    ///
    /// - Precondition: every option is in range (probabilities in `0...1`, no negative
    ///   duration, a positive bandwidth, a non-negative queue capacity).
    public init(options: LinkOptions, generator: SeededGenerator) {
        options.validate()
        self.options = options
        self.generator = generator
        delayNanoseconds = options.delay.nanosecondsClamped
        jitterNanoseconds = options.jitter.nanosecondsClamped
        reorderExtraDelayNanoseconds = options.reorderExtraDelay.nanosecondsClamped
    }

    /// The outcome of one datagram.
    public enum Decision: Sendable, Equatable {
        /// The datagram never arrives.
        case dropped(DropReason)
        /// The datagram arrives (see ``Carried``).
        case carried(Carried)
    }

    /// How a carried datagram arrives.
    public struct Carried: Sendable, Equatable {
        /// When the datagram arrives.
        public var arrival: Timestamp
        /// When a second copy arrives, if the datagram is duplicated.
        public var duplicateArrival: Timestamp?
        /// The bits to flip (bit `b` is bit `b % 8` of byte `b / 8`); empty if not corrupted.
        public var flippedBits: [Int]
        /// Whether the reordering option held this datagram back.
        public var reordered: Bool

        /// Whether some bits are flipped.
        public var corrupted: Bool { !flippedBits.isEmpty }

        /// Flips ``flippedBits`` in `bytes`, which must be at least as long as the datagram
        /// decided on.
        public func applyCorruption(to bytes: inout [UInt8]) {
            for bit in flippedBits {
                bytes[bit / 8] ^= UInt8(1) << UInt8(bit % 8)
            }
        }
    }

    /// Replaces the options; the queue, the burst state and the random stream are kept.
    ///
    /// - Precondition: every option is in range (as for ``init(options:generator:)``).
    public mutating func update(options: LinkOptions) {
        options.validate()
        self.options = options
        delayNanoseconds = options.delay.nanosecondsClamped
        jitterNanoseconds = options.jitter.nanosecondsClamped
        reorderExtraDelayNanoseconds = options.reorderExtraDelay.nanosecondsClamped
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

    /// Decides the fate of a datagram of `size` bytes sent at `now`, going through the stages
    /// of ``LinkOptions`` in order. Times passed in must not go backwards.
    public mutating func decide(size: Int, at now: Timestamp) -> Decision {
        if !options.partitions.isEmpty, options.partitions.contains(where: { $0.contains(now) }) {
            return .dropped(.partition)
        }

        var departure = now
        if let rate = options.bandwidth {
            releaseQueue(upTo: now)
            if queuedBytes + size > options.queueCapacity {
                return .dropped(.queueFull)
            }
            // ceil(size / rate) in nanoseconds.
            let scaled = UInt64(size) * 1_000_000_000
            let serialization = (scaled + UInt64(rate) - 1) / UInt64(rate)
            departure = max(now, busyUntil).adding(nanoseconds: serialization)
            busyUntil = departure
            queue.append((departure, size))
            queuedBytes += size
        }

        if let model = options.burstLoss {
            let lost = generator.chance(inBadState ? model.lossInBad : model.lossInGood)
            if inBadState {
                if generator.chance(model.badToGood) { inBadState = false }
            } else if generator.chance(model.goodToBad) {
                inBadState = true
            }
            if lost { return .dropped(.burstLoss) }
        }
        if generator.chance(options.loss) {
            return .dropped(.loss)
        }

        var flippedBits: [Int] = []
        if size > 0, generator.chance(options.corruption) {
            flippedBits = drawBitFlips(size: size)
        }

        let delay = delayNanoseconds
        let base = departure.adding(nanoseconds: delay)
        let arrival: Timestamp
        let reordered = generator.chance(options.reordering)
        if reordered {
            let maxExtra =
                delay.multipliedReportingOverflow(by: 2).partialValue
                &+ reorderExtraDelayNanoseconds
            arrival = base.adding(nanoseconds: drawJitter()).adding(nanoseconds: 1 + generator.uniform(through: maxExtra))
        } else {
            arrival = inOrderArrival(after: base)
        }

        var duplicateArrival: Timestamp?
        if generator.chance(options.duplication) {
            duplicateArrival = inOrderArrival(after: base)
        }
        return .carried(
            Carried(
                arrival: arrival, duplicateArrival: duplicateArrival,
                flippedBits: flippedBits, reordered: reordered))
    }

    private mutating func drawJitter() -> UInt64 {
        let jitter = jitterNanoseconds
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

    /// Draws 1 to 3 distinct bit positions in a datagram of `size` bytes.
    private mutating func drawBitFlips(size: Int) -> [Int] {
        let bitCount = UInt64(size) * 8
        let flips = min(1 + Int(generator.uniform(through: 2)), Int(min(bitCount, 3)))
        var chosen: [Int] = []
        chosen.reserveCapacity(flips)
        while chosen.count < flips {
            let bit = Int(generator.uniform(through: bitCount - 1))
            if chosen.contains(bit) { continue }
            chosen.append(bit)
        }
        return chosen
    }
}
