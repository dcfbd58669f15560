import RUDPCore
import RUDPWire

/// A seeded attacker that floods a server with CONNECTs from spoofed source addresses
/// (`Specs/PROTOCOL.md` section 18): it never receives anything, but it is told (by
/// ``FloodedNode``) what the server sends to each spoofed address, so a test can bound the
/// amplification and the state the flood creates.
///
/// ```swift
/// var options = SpoofedFloodOptions(seed: 9)
/// options.bursts = [SpoofedFloodBurst(start: .seconds(1), count: 50_000, duration: .milliseconds(1_500))]
/// let flood = SpoofedFlood(options: options)
/// let server = simulator.addNode(FloodedNode(serverNode, flood: flood))
/// // ... run ...
/// print(flood.statistics)   // amplification overall and at worst per address
/// ```
public final class SpoofedFlood {
    /// The bursts and the seed.
    public let options: SpoofedFloodOptions
    private var rng: SeededGenerator
    private let bursts: [SpoofedFloodBurst]
    private var sentPerBurst: [Int]
    private var lastInjection: Timestamp?
    /// Every new CONNECT sent (source node and client ID), for re-sending.
    private var history: [(node: Int, clientID: UInt64)] = []
    /// Bytes received by the server from, and sent by it to, each spoofed address.
    private var received: [Int: Int] = [:]
    private var answered: [Int: Int] = [:]
    private var counters = SpoofedFloodStatistics()

    /// A flood following `options`.
    public init(options: SpoofedFloodOptions) {
        self.options = options
        self.rng = SeededGenerator(seed: options.seed)
        self.bursts = options.bursts.sorted { $0.start < $1.start }
        self.sentPerBurst = Array(repeating: 0, count: options.bursts.count)
    }

    /// Whether `address` is one the flood spoofs.
    public func isSpoofed(_ address: SimulatedAddress) -> Bool { options.spoofedNodes.contains(address.node) }

    /// When the flood next has CONNECTs to send, or nil once it is over.
    public func nextInjection() -> Timestamp? {
        var next: Timestamp?
        for (index, burst) in bursts.enumerated() where sentPerBurst[index] < burst.count {
            var time = Timestamp.zero + burst.start
            if let last = lastInjection, last + options.tick > time { time = last + options.tick }
            if next == nil || time < next! { next = time }
        }
        return next
    }

    /// Hands `deliver` every CONNECT due by `now`, with its spoofed source.
    public func inject(at now: Timestamp, deliver: ([UInt8], SimulatedAddress) -> Void) {
        for (index, burst) in bursts.enumerated() where sentPerBurst[index] < burst.count && now >= .zero + burst.start {
            let elapsed = Double((now - (Timestamp.zero + burst.start)).nanosecondsClamped)
            let span = Double(max(1, burst.duration.nanosecondsClamped))
            let due = elapsed >= span ? burst.count : min(burst.count, Int((Double(burst.count) * elapsed / span).rounded(.up)))
            while sentPerBurst[index] < due {
                sentPerBurst[index] += 1
                let (node, clientID) =
                    burst.resent && !history.isEmpty
                    ? history[Int(rng.uniform(through: UInt64(history.count - 1)))]
                    : fresh()
                let datagram = connect(clientID: clientID)
                counters.datagramsSent += 1
                counters.bytesSent += datagram.count
                received[node, default: 0] += datagram.count
                deliver(datagram, SimulatedAddress(node: node))
            }
        }
        lastInjection = now
    }

    /// Notes a datagram the flooded node sent to a spoofed address.
    public func recordAnswer(_ datagram: [UInt8], to address: SimulatedAddress) {
        counters.answers += 1
        counters.answerBytes += datagram.count
        answered[address.node, default: 0] += datagram.count
    }

    /// What the flood sent and what came back, with the worst per-address amplification.
    public var statistics: SpoofedFloodStatistics {
        var result = counters
        result.addresses = received.count
        for (node, bytes) in answered {
            let ratio = Double(bytes) / Double(max(1, received[node] ?? 0))
            result.worstAmplification = max(result.worstAmplification, ratio)
        }
        return result
    }

    private func fresh() -> (node: Int, clientID: UInt64) {
        let node: Int
        if case .guessedData(_, let spoofing) = options.kind, !spoofing.isEmpty {
            node = spoofing[Int(rng.uniform(through: UInt64(spoofing.count - 1)))].node
        } else {
            let span = UInt64(options.spoofedNodes.count - 1)
            node = options.spoofedNodes.lowerBound + Int(rng.uniform(through: span))
        }
        var clientID = rng.next()
        if clientID == 0 { clientID = 1 }
        history.append((node, clientID))
        return (node, clientID)
    }

    private func connect(clientID: UInt64) -> [UInt8] {
        let params = TransportParameters(sourceConnectionID: ConnectionID(clientID))
        switch options.kind {
        case .plain:
            var bytes = Packet(destination: .none, packetNumber: 0, body: .connect(params, cookie: [])).serialized()
            Datagram.seal(&bytes)
            return bytes
        case .forgedSecure(let flags):
            let random = (0..<Packet.handshakeRandomSize).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            var bytes = Packet(
                destination: .none, packetNumber: 0, body: .secureConnect(params, clientRandom: random, cookie: []),
                flags: flags
            ).serialized()
            for _ in 0..<Packet.protectionTagSize { bytes.append(UInt8(truncatingIfNeeded: rng.next())) }
            return bytes
        case .guessedData(let worker, _):
            let destination = ConnectionID(workerIndex: worker, randomBits: clientID == 0 ? 1 : clientID)
            let frames: [Frame]
            switch rng.next() % 3 {
            case 0: frames = [.close(CloseFrame(code: .aborted, reason: "forged"))]
            case 1: frames = [.ping]
            default: frames = [.ack(AckFrame(cumulative: 0)), .maxData(1 << 40)]
            }
            var bytes = Packet(destination: destination, packetNumber: rng.next() % 1_000_000, body: .data(frames)).serialized()
            Datagram.seal(&bytes)
            return bytes
        }
    }
}
