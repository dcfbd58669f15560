import HeapModule
import NIOCore
import RUDPCore
import RUDPImpairment

/// One direction of the proxy without sockets or clocks: it takes datagrams with the time they
/// were received, decides their fate with an ``ImpairmentModel``, and hands back those due now,
/// keeping the others in a delay line ordered by arrival time. ``ProxyCore`` drives it on the
/// event loop with one timer per direction, armed for ``nextArrival``.
///
/// `Target` says where a datagram goes (the client address of its flow).
struct DirectionPipeline<Target> {
    /// A datagram waiting for its arrival time.
    struct HeldDatagram: Comparable {
        var arrival: Timestamp
        /// Tie-breaker: among equal arrivals, first come first out.
        var sequence: UInt64
        var payload: ByteBuffer
        var target: Target

        static func < (lhs: HeldDatagram, rhs: HeldDatagram) -> Bool {
            (lhs.arrival, lhs.sequence) < (rhs.arrival, rhs.sequence)
        }

        static func == (lhs: HeldDatagram, rhs: HeldDatagram) -> Bool {
            lhs.arrival == rhs.arrival && lhs.sequence == rhs.sequence
        }
    }

    /// The current impairments.
    private(set) var impairments: Impairments
    /// Counters (the gauges `queuedBytes` and `held` are filled in by the owner's snapshot).
    var statistics = DirectionStatistics()
    /// Everything sent before this time is dropped (an on-demand partition).
    var partitionedUntil: Timestamp?

    private var model: ImpairmentModel
    private var delayLine = Heap<HeldDatagram>()
    private(set) var delayLineBytes = 0
    private let capacity: Int
    private let byteCapacity: Int
    private var sequence: UInt64 = 0

    /// A pipeline with `impairments` (already validated), drawing from `generator`.
    init(impairments: Impairments, generator: SeededGenerator, capacity: Int, byteCapacity: Int) {
        self.impairments = impairments
        self.model = ImpairmentModel(options: impairments.link, generator: generator)
        self.capacity = capacity
        self.byteCapacity = byteCapacity
    }

    /// Datagrams in the delay line.
    var delayLineCount: Int { delayLine.count }

    /// When the earliest held datagram is due, if any.
    var nextArrival: Timestamp? { delayLine.min?.arrival }

    /// Bytes in the bottleneck queue at `now`.
    func queuedBytes(at now: Timestamp) -> Int { model.queuedBytes(at: now) }

    /// Replaces the impairments (already validated); the random stream, burst state,
    /// bottleneck queue and delay line are kept.
    mutating func update(_ impairments: Impairments) {
        self.impairments = impairments
        model.update(options: impairments.link)
    }

    /// Counts a datagram refused before it entered the pipeline (its flow could not be opened).
    mutating func recordRefused(size: Int) {
        statistics.received += 1
        statistics.receivedBytes += size
        statistics.dropped.flowLimit += 1
    }

    /// Takes a datagram received at `now`; appends to `due` what must be sent now, in order
    /// (earlier held datagrams first), and keeps the rest for later.
    mutating func submit(
        _ payload: ByteBuffer, to target: Target, at now: Timestamp,
        due: inout [(payload: ByteBuffer, target: Target)]
    ) {
        let size = payload.readableBytes
        statistics.received += 1
        statistics.receivedBytes += size

        if let mtu = impairments.mtu, size > mtu {
            statistics.dropped.mtu += 1
            return
        }
        if let until = partitionedUntil {
            if now < until {
                statistics.dropped.partition += 1
                return
            }
            partitionedUntil = nil
        }
        // Room for the datagram and a possible duplicate, in case they must wait.
        if delayLine.count + 2 > capacity || delayLineBytes + 2 * size > byteCapacity {
            statistics.dropped.delayLineFull += 1
            return
        }

        switch model.decide(size: size, at: now) {
        case let .dropped(reason):
            switch reason {
            case .loss: statistics.dropped.loss += 1
            case .burstLoss: statistics.dropped.burst += 1
            case .queueFull: statistics.dropped.queueFull += 1
            default: statistics.dropped.partition += 1  // partition, unroutable
            }
        case let .carried(carried):
            var payload = payload
            if carried.corrupted {
                var bytes = Array(payload.readableBytesView)
                carried.applyCorruption(to: &bytes)
                payload = ByteBuffer(bytes: bytes)
                statistics.corrupted += 1
            }
            if carried.reordered { statistics.reordered += 1 }
            place(payload, to: target, arrival: carried.arrival, now: now, due: &due)
            if let duplicateArrival = carried.duplicateArrival {
                statistics.duplicated += 1
                place(payload, to: target, arrival: duplicateArrival, now: now, due: &due)
            }
        }
    }

    /// Appends to `due`, in arrival order, every held datagram due at or before `limit`
    /// (default `now`), and records how late after its arrival time each leaves at `now`.
    mutating func releaseDue(
        upTo limit: Timestamp? = nil, now: Timestamp,
        due: inout [(payload: ByteBuffer, target: Target)]
    ) {
        let limit = limit ?? now
        while let first = delayLine.min, first.arrival <= limit {
            let held = delayLine.removeMin()
            delayLineBytes -= held.payload.readableBytes
            statistics.delayLine.record(lateness: now.nanoseconds(since: held.arrival))
            due.append((held.payload, held.target))
        }
    }

    /// Sends now if due (after any held datagram due no later), else holds a compact copy.
    private mutating func place(
        _ payload: ByteBuffer, to target: Target, arrival: Timestamp, now: Timestamp,
        due: inout [(payload: ByteBuffer, target: Target)]
    ) {
        if arrival <= now {
            releaseDue(upTo: arrival, now: now, due: &due)
            due.append((payload, target))
            return
        }
        // A copy of exactly the datagram's size, so a held datagram does not pin the large
        // receive buffer it was read into.
        var copy = ByteBufferAllocator().buffer(capacity: payload.readableBytes)
        copy.writeImmutableBuffer(payload)
        sequence &+= 1
        delayLine.insert(HeldDatagram(arrival: arrival, sequence: sequence, payload: copy, target: target))
        delayLineBytes += copy.readableBytes
    }
}
