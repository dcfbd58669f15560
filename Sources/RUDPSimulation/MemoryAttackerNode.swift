import RUDPCore
import RUDPImpairment
import RUDPWire

/// A hostile *peer* (not a man in the middle like ``NetworkAttacker``): it opens real plain
/// connections to a server, answers its keep-alives, and sends well-formed MESSAGE frames
/// crafted to make the server hold data it can never deliver (``MemoryAttackOptions/Pattern``):
/// the receive-memory attacks of `Specs/PROTOCOL.md` section 18.
///
/// Every forged packet takes a packet number the attacker's own engine really used, so the
/// server neither drops it as a duplicate nor acknowledges a number the engine never sent: the
/// engine sends a one-byte unreliable marker message, and the datagram carrying it leaves with
/// the forged frames instead.
///
/// ```swift
/// let attacker = MemoryAttackerNode(options: MemoryAttackOptions(seed: 3), server: serverAddress)
/// let address = simulator.addNode(attacker)
/// simulator.connectBidirectional(address, serverAddress, options: LinkOptions())
/// simulator.run(for: .seconds(5))
/// print(attacker.forgedDatagrams, attacker.closeReasons)
/// ```
public final class MemoryAttackerNode: SimulatedNode {
    /// The attacker's client endpoint (its connections' handshakes and keep-alives).
    public let endpoint: Endpoint
    /// What the attacker does (pattern, connections, rates).
    public let options: MemoryAttackOptions
    /// The server under attack.
    public let server: SimulatedAddress
    /// Forged datagrams sent, and their bytes.
    public private(set) var forgedDatagrams = 0
    /// Bytes of the forged datagrams sent.
    public private(set) var forgedBytes = 0
    /// Why each of its connections ended.
    public private(set) var closeReasons: [ConnectionID: CloseReason] = [:]

    private static let marker: [UInt8] = [0xA5]

    private struct Target {
        let id: ConnectionID
        let pattern: MemoryAttackOptions.Pattern
        var established = false
        var closed = false
        /// Forged frame lists waiting for a packet number.
        var pending: [[Frame]] = []
        var markerOutstanding = false
        var startedReliable = false
        var message = 0
        var offset = 0
        var unreliableSequence: UInt32 = 1000
        var exhausted = false
    }

    private var targets: [Target] = []
    private var targetByServerID: [ConnectionID: Int] = [:]
    private var started = false
    private var nextRound: Timestamp?
    private var roundsDone = 0
    /// Where the endpoint writes each datagram.
    private var scratch = TransmitScratch()

    /// An attacker against `server`, with `configuration` for its own connections.
    public init(options: MemoryAttackOptions, server: SimulatedAddress, configuration: ConnectionConfiguration = ConnectionConfiguration())
    {
        self.options = options
        self.server = server
        self.endpoint = Endpoint(
            configuration: EndpointConfiguration(connection: configuration), randomness: SeededGenerator(seed: options.seed))
    }

    /// Connections whose pattern is `pattern`, by this side's ID.
    public func connections(running pattern: MemoryAttackOptions.Pattern) -> [ConnectionID] {
        targets.filter { $0.pattern == pattern }.map(\.id)
    }

    /// Whether every round has been sent.
    public var isFinished: Bool { roundsDone >= options.rounds }

    // MARK: - SimulatedNode

    /// Hands a datagram from the network to the endpoint (``SimulatedNode``).
    public func receive(_ datagram: [UInt8], from source: SimulatedAddress, at now: Timestamp) {
        endpoint.handle(datagram: datagram, from: source.peerAddress, at: now)
        drainEvents(at: now)
    }

    /// Runs the endpoint's timers due at `now` (``SimulatedNode``).
    public func handleTimeout(at now: Timestamp) {
        endpoint.handleTimeout(at: now)
        drainEvents(at: now)
        if let round = nextRound, now >= round {
            runRound()
            roundsDone += 1
            nextRound = roundsDone < options.rounds ? now + options.roundInterval : nil
        }
    }

    /// The next datagram to send and its destination, nil when there is none (``SimulatedNode``).
    public func pollTransmit(at now: Timestamp) -> (datagram: [UInt8], destination: SimulatedAddress)? {
        if !started { start(at: now) }
        guard let (datagram, destination) = scratch.poll(endpoint, at: now) else {
            drainEvents(at: now)
            return nil
        }
        return (forgery(replacing: datagram) ?? datagram, destination)
    }

    /// When the node next needs ``handleTimeout(at:)`` (``SimulatedNode``).
    public func nextDeadline() -> Timestamp? {
        [endpoint.nextDeadline(), nextRound].compactMap { $0 }.min()
    }

    // MARK: - The attack

    private func start(at now: Timestamp) {
        started = true
        for index in 0..<options.connections {
            let id = endpoint.connect(to: server.peerAddress, at: now)
            let pattern = options.patterns[index % max(1, options.patterns.count)]
            targets.append(Target(id: id, pattern: pattern))
        }
    }

    private func drainEvents(at now: Timestamp) {
        while let (id, event) = endpoint.pollEvent() {
            if case .message(let message) = event { endpoint.releaseCredit(message, on: id) }  // consumed at once
            guard let index = targets.firstIndex(where: { $0.id == id }) else { continue }
            switch event {
            case .connected:
                targets[index].established = true
                if let serverID = endpoint.connection(id)?.peerID { targetByServerID[serverID] = index }
                if nextRound == nil && roundsDone == 0 { nextRound = now }
            case .closed(let reason):
                targets[index].closed = true
                closeReasons[id] = reason
            default:
                break
            }
        }
    }

    private func runRound() {
        for index in targets.indices where targets[index].established && !targets[index].closed {
            for _ in 0..<options.datagramsPerRound {
                guard let frames = nextFrames(&targets[index]) else { break }
                targets[index].pending.append(frames)
            }
            sendMarkerIfNeeded(index)
        }
    }

    private func sendMarkerIfNeeded(_ index: Int) {
        guard !targets[index].markerOutstanding, !targets[index].pending.isEmpty, !targets[index].closed else { return }
        if (try? endpoint.send(Self.marker, on: targets[index].id, channel: 0, mode: .unreliable)) != nil {
            targets[index].markerOutstanding = true
        }
    }

    /// The datagram to send instead of `datagram`, if it carries a marker.
    private func forgery(replacing datagram: [UInt8]) -> [UInt8]? {
        guard let packet = try? Datagram.open(datagram), case .data(let frames) = packet.body,
            frames.contains(where: {
                if case .message(let m) = $0 { return m.mode == .unreliable && m.payload == Self.marker } else { return false }
            }),
            let index = targetByServerID[packet.destination], !targets[index].pending.isEmpty
        else { return nil }
        let forgedFrames = targets[index].pending.removeFirst()
        targets[index].markerOutstanding = false
        var forged = Packet(destination: packet.destination, packetNumber: packet.packetNumber, body: .data(forgedFrames)).serialized()
        Datagram.seal(&forged)
        forgedDatagrams += 1
        forgedBytes += forged.count
        sendMarkerIfNeeded(index)
        return forged
    }

    /// The next forged frames of a connection's pattern, or nil once it has nothing more to send.
    private func nextFrames(_ target: inout Target) -> [Frame]? {
        guard !target.exhausted, let peer = endpoint.connection(target.id)?.peerParameters else { return nil }
        let claimed = Int(peer.maxMessageSize)
        guard claimed >= 2 else { return nil }
        let messages = max(1, min(Int(peer.initialMaxData) / claimed, Int(peer.channelCount)))
        let piece = 1000
        switch target.pattern {
        case .firstFragments:
            var frames: [Frame] = []
            if !target.startedReliable {
                target.startedReliable = true
                for channel in 0..<messages {
                    frames.append(
                        .message(
                            MessageFrame(
                                channel: UInt8(channel), mode: .reliableOrdered, sequence: 0,
                                totalLength: UInt32(claimed), offset: 0, payload: [1])))
                }
            }
            for channel: UInt8 in 0..<min(2, peer.channelCount) {
                frames.append(
                    .message(
                        MessageFrame(
                            channel: channel, mode: .unreliable, sequence: target.unreliableSequence,
                            totalLength: UInt32(claimed), offset: 0, payload: [1])))
            }
            target.unreliableSequence &+= 1
            return frames
        case .outOfOrderFill:
            if target.offset == 0 { target.offset = 2 * piece }
            if target.offset >= claimed {
                target.message += 1
                target.offset = 2 * piece
            }
            if target.message >= messages || target.offset >= claimed {
                target.exhausted = true
                return nil
            }
            let length = min(piece, claimed - target.offset)
            let frame = MessageFrame(
                channel: 0, mode: .reliableOrdered, sequence: UInt32(target.message), totalLength: UInt32(claimed),
                offset: UInt32(target.offset), payload: [UInt8](repeating: 0x5A, count: length))
            target.offset += length
            return [.message(frame)]
        case .tinyPieces:
            // Messages of 8 KiB (or the maximum, if smaller) filled with one-byte pieces at odd
            // offsets: every piece is its own interval, so none can share another's chunk.
            let length = min(claimed, 8192)
            let count = Int(peer.initialMaxData) / length
            if target.offset == 0 { target.offset = 1 }
            var frames: [Frame] = []
            while frames.count < 40 && target.message < count {
                frames.append(
                    .message(
                        MessageFrame(
                            channel: 0, mode: .reliableOrdered, sequence: UInt32(target.message), totalLength: UInt32(length),
                            offset: UInt32(target.offset), payload: [0x33])))
                target.offset += 2
                if target.offset >= length {
                    target.offset = 1
                    target.message += 1
                }
            }
            if frames.isEmpty {
                target.exhausted = true
                return nil
            }
            return frames
        }
    }
}
