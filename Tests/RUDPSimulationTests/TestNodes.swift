import RUDPCore
import RUDPImpairment
import RUDPSimulation

/// `t = milliseconds`.
func ms(_ milliseconds: Int) -> Timestamp { .zero + .milliseconds(milliseconds) }

/// The payload of datagram `sequence`: its number (big-endian) then filler derived from it.
func payload(_ sequence: Int, size: Int) -> [UInt8] {
    precondition(size >= 4)
    var bytes = withUnsafeBytes(of: UInt32(sequence).bigEndian, Array.init)
    for index in 4..<size { bytes.append(UInt8(truncatingIfNeeded: sequence &* 31 &+ index)) }
    return bytes
}

/// The sequence number carried by `datagram`.
func sequenceNumber(of datagram: [UInt8]) -> Int {
    datagram.prefix(4).reduce(0) { $0 << 8 | Int($1) }
}

/// Sends `count` numbered datagrams of `size` bytes to `destination`, `batch` at a time every
/// `interval`, starting at `start`; records when each was sent and what comes back.
final class SenderNode: SimulatedNode {
    let destination: SimulatedAddress
    let count: Int
    let interval: Duration
    let size: Int
    let batch: Int
    private(set) var sendTimes: [Timestamp] = []
    private(set) var replies: [(datagram: [UInt8], time: Timestamp)] = []
    private var nextSendTime: Timestamp
    private var outbox: [[UInt8]] = []

    init(
        to destination: SimulatedAddress, count: Int, interval: Duration, size: Int = 32, batch: Int = 1,
        start: Timestamp = .zero
    ) {
        self.destination = destination
        self.count = count
        self.interval = interval
        self.size = size
        self.batch = batch
        self.nextSendTime = start
    }

    func receive(_ datagram: [UInt8], from source: SimulatedAddress, at now: Timestamp) {
        replies.append((datagram, now))
    }

    func handleTimeout(at now: Timestamp) {
        precondition(now >= nextSendTime, "woken early")
        for _ in 0..<batch where sendTimes.count < count {
            outbox.append(payload(sendTimes.count, size: size))
            sendTimes.append(now)
        }
        nextSendTime = nextSendTime + interval
    }

    func pollTransmit(at now: Timestamp) -> (datagram: [UInt8], destination: SimulatedAddress)? {
        outbox.isEmpty ? nil : (outbox.removeFirst(), destination)
    }

    func nextDeadline() -> Timestamp? {
        sendTimes.count < count ? nextSendTime : nil
    }
}

/// Records every datagram it receives.
final class SinkNode: SimulatedNode {
    struct Arrival {
        var datagram: [UInt8]
        var source: SimulatedAddress
        var time: Timestamp
        var sequence: Int { sequenceNumber(of: datagram) }
    }

    private(set) var arrivals: [Arrival] = []

    func receive(_ datagram: [UInt8], from source: SimulatedAddress, at now: Timestamp) {
        arrivals.append(Arrival(datagram: datagram, source: source, time: now))
    }

    func handleTimeout(at now: Timestamp) {}
    func pollTransmit(at now: Timestamp) -> (datagram: [UInt8], destination: SimulatedAddress)? { nil }
    func nextDeadline() -> Timestamp? { nil }
}

/// Sends every datagram it receives back to its source.
final class EchoNode: SimulatedNode {
    private var outbox: [([UInt8], SimulatedAddress)] = []
    private(set) var echoed = 0

    func receive(_ datagram: [UInt8], from source: SimulatedAddress, at now: Timestamp) {
        outbox.append((datagram, source))
        echoed += 1
    }

    func handleTimeout(at now: Timestamp) {}

    func pollTransmit(at now: Timestamp) -> (datagram: [UInt8], destination: SimulatedAddress)? {
        outbox.isEmpty ? nil : outbox.removeFirst()
    }

    func nextDeadline() -> Timestamp? { nil }
}

/// A buggy node whose deadline is always in the past: it would spin forever without the guard.
final class SpinningNode: SimulatedNode {
    private(set) var timeouts: [Timestamp] = []
    /// Stop asking to be woken after this many timeouts (nil: never stop).
    var limit: Int?

    init(limit: Int? = nil) { self.limit = limit }

    func receive(_ datagram: [UInt8], from source: SimulatedAddress, at now: Timestamp) {}
    func handleTimeout(at now: Timestamp) { timeouts.append(now) }
    func pollTransmit(at now: Timestamp) -> (datagram: [UInt8], destination: SimulatedAddress)? { nil }

    func nextDeadline() -> Timestamp? {
        if let limit, timeouts.count >= limit { return nil }
        return .zero
    }
}

/// Has a deadline, then moves (or cancels) it when a datagram arrives.
final class RetimingNode: SimulatedNode {
    var deadline: Timestamp?
    let deadlineAfterReceive: Timestamp?
    private(set) var timeouts: [Timestamp] = []

    init(deadline: Timestamp?, deadlineAfterReceive: Timestamp?) {
        self.deadline = deadline
        self.deadlineAfterReceive = deadlineAfterReceive
    }

    func receive(_ datagram: [UInt8], from source: SimulatedAddress, at now: Timestamp) {
        deadline = deadlineAfterReceive
    }

    func handleTimeout(at now: Timestamp) {
        timeouts.append(now)
        deadline = nil
    }

    func pollTransmit(at now: Timestamp) -> (datagram: [UInt8], destination: SimulatedAddress)? { nil }
    func nextDeadline() -> Timestamp? { deadline }
}

/// A sender → sink pair over one link.
struct SenderSinkScenario {
    let simulator: NetworkSimulator
    let sender: SenderNode
    let sink: SinkNode
    let senderAddress: SimulatedAddress
    let sinkAddress: SimulatedAddress
    let options: LinkOptions

    init(
        seed: UInt64, options: LinkOptions, count: Int, interval: Duration, size: Int = 32, batch: Int = 1,
        start: Timestamp = .zero, recordTrace: Bool = false
    ) {
        simulator = NetworkSimulator(seed: seed, recordTrace: recordTrace)
        sink = SinkNode()
        // The sink will be node1.
        sender = SenderNode(
            to: SimulatedAddress(node: 1), count: count, interval: interval, size: size,
            batch: batch, start: start)
        senderAddress = simulator.addNode(sender)
        sinkAddress = simulator.addNode(sink)
        self.options = options
        simulator.connect(senderAddress, sinkAddress, options: options)
    }

    var statistics: LinkStatistics { simulator.statistics(from: senderAddress, to: sinkAddress)! }

    /// The seed, options and counters, for failure messages.
    var context: String { "\(simulator.report)" }
}

/// Sends every datagram it receives back to its source, in the simulator's buffers (a
/// ``DirectSimulatedNode``), and notes how many datagrams came in before each poll.
final class DirectEchoNode: DirectSimulatedNode {
    private(set) var received: [(datagram: [UInt8], source: SimulatedAddress, time: Timestamp)] = []
    /// Datagrams received since the last poll, recorded at each poll that follows some.
    private(set) var batches: [Int] = []
    private var outbox: [([UInt8], SimulatedAddress)] = []
    private var sinceLastPoll = 0

    var maximumDatagramSize: Int { 2_000 }

    func receive(_ datagram: UnsafeRawBufferPointer, from source: SimulatedAddress, at now: Timestamp) {
        let bytes = Array(datagram)
        received.append((bytes, source, now))
        outbox.append((bytes, source))
        sinceLastPoll += 1
    }

    func pollTransmit(into buffer: UnsafeMutableRawBufferPointer, at now: Timestamp) -> (byteCount: Int, destination: SimulatedAddress)? {
        if sinceLastPoll > 0 {
            batches.append(sinceLastPoll)
            sinceLastPoll = 0
        }
        guard !outbox.isEmpty else { return nil }
        let (bytes, destination) = outbox.removeFirst()
        bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
        return (bytes.count, destination)
    }

    func receive(_ datagram: [UInt8], from source: SimulatedAddress, at now: Timestamp) {
        datagram.withUnsafeBytes { receive($0, from: source, at: now) }
    }

    func handleTimeout(at now: Timestamp) {}

    func pollTransmit(at now: Timestamp) -> (datagram: [UInt8], destination: SimulatedAddress)? {
        guard !outbox.isEmpty else { return nil }
        return outbox.removeFirst()
    }

    func nextDeadline() -> Timestamp? { nil }
}
