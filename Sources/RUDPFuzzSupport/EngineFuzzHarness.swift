import RUDPCore
import RUDPSecurity

/// Runs one engine fuzz program: a client and a server ``Endpoint`` joined by two datagram
/// queues that the program delivers, drops, reorders, duplicates, replays and corrupts, while
/// it sends messages, closes connections and moves time. After every operation it moves all
/// output into the queues, takes all events and checks the invariants (see ``EngineFuzzer``).
final class EngineFuzzHarness {
    /// Most connections the client opens in one run.
    static let maximumClientConnections = 4
    /// Most datagrams waiting in one direction; further ones are dropped, as by a full router queue.
    static let queueLimit = 256
    /// Delivered datagrams remembered per side for replays.
    static let historyLimit = 32
    /// More datagrams or events than this from one poll loop means the engine never stops producing.
    static let pollLimit = 100_000
    /// Most datagrams delivered in one run (bounds the cost of drain operations).
    static let deliveryBudget = 20_000
    /// Most operations run from one input.
    static let operationLimit = 5_000
    /// How long the network is perfect after the program, for the liveness check.
    static let healingTime = Duration.seconds(6)
    /// Most timer steps of the healing phase.
    static let healingSteps = 400

    let client: EngineFuzzPeer
    let server: EngineFuzzPeer
    private(set) var now = Timestamp.zero
    private var clientConnections = 0
    private var deliveries = 0
    private var operationIndex = 0
    /// During the healing phase the delivery budget does not apply.
    private var healing = false
    /// Whether a re-tagged handshake packet (made with the key, not by the peer) was delivered.
    private var keyedDelivered = false
    /// The address the client's datagrams reach the server from (its NAT binding; see
    /// ``EngineFuzzOperation/rebindClient``), and the rebindings so far.
    private var clientSource = 1
    private var rebindings = 0
    /// The addresses the client's NAT binding moves through.
    static let clientSources = [4, 5, 1]
    /// The data of the newest PATH_CHALLENGE the server sent (read in plain mode), and where to.
    private var lastServerChallenge: (data: UInt64, destination: Int)?
    /// Each server connection's peer address when the harness first saw it.
    private var initialServerAddresses: [ConnectionID: Int] = [:]
    /// What the run did so far.
    var report = EngineFuzzReport()

    /// The packet security of both endpoints (nil: plain, CRC-32C only).
    let security: SecurityMode?
    /// Whether the applications hold delivered messages until an
    /// ``EngineFuzzOperation/releaseCredit`` operation (flags bit 0) rather than consuming, and
    /// releasing, each one as they take its event.
    let holdsCredit: Bool

    /// Reads the header and sets up both endpoints; the client starts one connection. With
    /// `secure`, both endpoints protect their packets with the fuzz test key, in authenticated mode
    /// for an odd seed and encrypted mode for an even one.
    init(
        header input: inout FuzzInput, secure: Bool = false,
        wrapServerHandshake: (any HandshakeSecurity) -> any HandshakeSecurity = { $0 }
    ) {
        let flags = input.readByte()
        let seed = UInt64(input.readUInt16())
        holdsCredit = flags & 0x01 != 0
        security = secure ? (seed & 1 == 1 ? .authenticated : .encrypted) : nil
        let (clientConfiguration, serverConfiguration) = EngineFuzzProgram.configurations(flags: flags, seed: UInt16(seed))
        client = EngineFuzzPeer(name: "client", address: 1, configuration: clientConfiguration, seed: seed &* 2 &+ 1, security: security)
        server = EngineFuzzPeer(
            name: "server", address: 0, configuration: serverConfiguration, seed: seed &* 2 &+ 2, security: security,
            wrapHandshake: wrapServerHandshake)
        _ = client.endpoint.connect(to: PeerAddress(node: server.address), at: now)
        clientConnections = 1
    }

    /// Runs the operations of the rest of the input.
    func run(_ input: inout FuzzInput) throws(FuzzViolation) {
        try settle()
        while !input.isExhausted && operationIndex < Self.operationLimit {
            let count = UInt8(EngineFuzzOperation.allCases.count)
            let operation = EngineFuzzOperation(rawValue: input.readByte() % count)!
            try perform(operation, &input)
            try settle()
            operationIndex += 1
            report.operations = operationIndex
        }
        if !client.tainted && !server.tainted { try heal() }
    }

    /// Liveness: after the program, the network delivers everything, the applications release
    /// all credit, and time runs on for ``healingTime``. Then no reliable message may still be
    /// pending: each was acknowledged, or its connection ended and reported it failed.
    private func heal() throws(FuzzViolation) {
        healing = true
        defer { healing = false }
        let end = now + Self.healingTime
        var steps = 0
        while true {
            var rounds = 0
            repeat {
                releaseAllCredit()
                while let item = server.inbound.first {
                    server.inbound.removeFirst(); try deliver(item.bytes, genuine: item.genuine, to: server)
                }
                while let item = client.inbound.first {
                    client.inbound.removeFirst(); try deliver(item.bytes, genuine: item.genuine, to: client)
                }
                try settle()
                rounds += 1
            } while (!client.inbound.isEmpty || !server.inbound.isEmpty || !client.held.isEmpty || !server.held.isEmpty) && rounds < 256
            if !hasPendingReliable(client) && !hasPendingReliable(server) { break }
            let deadlines = [client.endpoint.nextDeadline(), server.endpoint.nextDeadline()].compactMap { $0 }
            guard let next = deadlines.min(), next <= end else { break }
            if steps == Self.healingSteps { return }  // inconclusive: too busy to judge
            now = max(now, next)
            client.endpoint.handleTimeout(at: now)
            server.endpoint.handleTimeout(at: now)
            try settle()
            steps += 1
        }
        for peer in [client, server] {
            for id in peer.endpoint.connectionIDs {
                let pending = peer.records[id]?.pendingReliable.count ?? 0
                if pending > 0 {
                    let state = peer.endpoint.connection(id).map { "\($0.state)" } ?? "gone"
                    throw fail(
                        "after \(Self.healingTime) of a perfect network \(peer.name) connection \(id) (\(state)) still has \(pending) reliable message(s) neither acknowledged nor failed"
                    )
                }
            }
        }
        try checkAcknowledgedWereDelivered(sender: client, receiver: server)
        try checkAcknowledgedWereDelivered(sender: server, receiver: client)
    }

    /// Once nothing is pending, on a pair of connections that both still exist, every reliable
    /// message the receiver acknowledged must have reached its application: everything sent
    /// before it on its channel was acknowledged too, so nothing can hold it back.
    private func checkAcknowledgedWereDelivered(sender: EngineFuzzPeer, receiver: EngineFuzzPeer) throws(FuzzViolation) {
        for id in sender.endpoint.connectionIDs {
            guard let connection = sender.endpoint.connection(id), connection.state == .established,
                let peerConnection = receiver.endpoint.connection(connection.peerID), peerConnection.peerID == id,
                let record = sender.records[id]
            else { continue }
            let delivered = receiver.records[connection.peerID]?.deliveredCounters ?? []
            for counter in record.acknowledgedCounters where !delivered.contains(counter) {
                throw fail(
                    "\(sender.name) message \(counter) on connection \(id) was acknowledged but \(receiver.name) connection \(connection.peerID) (\(peerConnection.state)) never delivered it, although nothing is pending"
                )
            }
        }
    }

    private func hasPendingReliable(_ peer: EngineFuzzPeer) -> Bool {
        peer.endpoint.connectionIDs.contains { !(peer.records[$0]?.pendingReliable.isEmpty ?? true) }
    }

    private func releaseAllCredit() {
        for peer in [client, server] {
            while !peer.held.isEmpty {
                let (id, message) = peer.held.removeFirst()
                if message.mode.isReliable { peer.records[id]?.heldReliableBytes -= message.buffer.readableBytes }
                peer.endpoint.releaseCredit(message, on: id)
            }
        }
    }

    private func fail(_ message: String) -> FuzzViolation {
        FuzzViolation(message, operationIndex: operationIndex)
    }

    private func side(_ argument: UInt8) -> (EngineFuzzPeer, EngineFuzzPeer) {
        argument & 1 == 0 ? (client, server) : (server, client)
    }

    // MARK: - Operations

    private func perform(_ operation: EngineFuzzOperation, _ input: inout FuzzInput) throws(FuzzViolation) {
        switch operation {
        case .clientSend:
            try send(from: client, &input)
        case .serverSend:
            try send(from: server, &input)
        case .deliverToServer:
            try deliverNext(to: server)
        case .deliverToClient:
            try deliverNext(to: client)
        case .deliverSome:
            let n = Int(input.readByte() & 0x0f) + 1
            for i in 0..<n { try deliverNext(to: i & 1 == 0 ? server : client) }
        case .deliverMutated:
            try deliverMutated(&input)
        case .drop:
            let (receiver, _) = side(input.readByte())
            if !receiver.inbound.isEmpty { receiver.inbound.removeFirst() }
        case .reorder:
            let (receiver, _) = side(input.readByte())
            let distance = Int(input.readByte() & 0x07) + 1
            if receiver.inbound.count > 1 {
                let item = receiver.inbound.removeFirst()
                receiver.inbound.insert(item, at: min(distance, receiver.inbound.count))
            }
        case .duplicate:
            let (receiver, _) = side(input.readByte())
            if let item = receiver.inbound.first { try deliver(item.bytes, genuine: item.genuine, to: receiver) }
        case .replay:
            let (receiver, _) = side(input.readByte())
            let age = Int(input.readByte())
            if !receiver.history.isEmpty {
                let bytes = receiver.history[receiver.history.count - 1 - age % receiver.history.count]
                try deliver(bytes, genuine: true, to: receiver)
            }
        case .inject:
            try inject(&input)
        case .advanceTime:
            now = now + EngineFuzzProgram.duration(input.readByte())
        case .handleTimeouts:
            client.endpoint.handleTimeout(at: now)
            server.endpoint.handleTimeout(at: now)
        case .runToDeadline:
            try runToDeadline()
        case .close, .abort:
            let (peer, _) = side(input.readByte())
            let id = peer.connectionID(at: Int(input.readByte()))
            if peer.endpoint.connection(id) != nil {
                if operation == .close {
                    peer.records[id, default: .init()].closeRequested = true
                } else {
                    peer.records[id, default: .init()].abortRequested = true
                }
            }
            if operation == .close { peer.endpoint.close(id, at: now) } else { peer.endpoint.abort(id, at: now) }
        case .connect:
            if clientConnections < Self.maximumClientConnections {
                _ = client.endpoint.connect(to: PeerAddress(node: server.address), at: now)
                clientConnections += 1
            }
        case .releaseCredit:
            let (peer, _) = side(input.readByte())
            let count = Int(input.readByte() & 0x07) + 1
            for _ in 0..<min(count, peer.held.count) {
                let (id, message) = peer.held.removeFirst()
                if message.mode.isReliable { peer.records[id]?.heldReliableBytes -= message.buffer.readableBytes }
                peer.endpoint.releaseCredit(message, on: id)
            }
        case .rebindClient:
            clientSource = Self.clientSources[rebindings % Self.clientSources.count]
            rebindings += 1
            report.rebindings = rebindings
        case .injectPathFrame:
            try injectPathFrame(&input)
        case .drainNetwork:
            var rounds = 0
            while (!client.inbound.isEmpty || !server.inbound.isEmpty) && rounds < 512 && deliveries < Self.deliveryBudget {
                try deliverNext(to: server)
                try deliverNext(to: client)
                try settle()
                rounds += 1
            }
        }
    }

    private func send(from sender: EngineFuzzPeer, _ input: inout FuzzInput) throws(FuzzViolation) {
        let id = sender.connectionID(at: Int(input.readByte()))
        let sizeClass = input.readByte()
        let rawSize = Int(input.readUInt16())
        let limit = sender.configuration.connection.maxMessageSize
        let size = sizeClass < 160 ? Int(sizeClass) % 40 : rawSize % (limit + 64)
        let channelCount = sender.configuration.connection.channelCount
        let channel = input.readByte() % (channelCount + 1)
        let mode = [DeliveryMode.reliableOrdered, .reliableUnordered, .unreliable][Int(input.readByte() % 3)]
        let counter = sender.nextCounter
        let payload = EngineFuzzPayload.make(counter: counter, size: size)
        let exists = sender.endpoint.connection(id) != nil
        do {
            let messageID = try sender.endpoint.send(payload, on: id, channel: channel, mode: mode)
            if size > limit { throw fail("\(sender.name) accepted a message of \(size) bytes above its limit \(limit)") }
            if channel >= channelCount { throw fail("\(sender.name) accepted channel \(channel) of \(channelCount)") }
            sender.nextCounter += 1
            report.messagesSent += 1
            sender.sent[counter] = .init(size: size, channel: channel, mode: mode, connection: id)
            if size < EngineFuzzPayload.tagSize {
                sender.shortMessagesSent.insert(.init(size: size, channel: channel, mode: mode))
            }
            var record = sender.records[id, default: .init()]
            let fresh =
                mode.isReliable
                ? record.pendingReliable.insert(messageID).inserted
                : record.unreliable.insert(messageID).inserted
            if !fresh { throw fail("\(sender.name) returned message ID \(messageID) twice") }
            if mode.isReliable && size >= EngineFuzzPayload.tagSize { record.counters[messageID] = counter }
            sender.records[id] = record
        } catch let error as SendError {
            switch error.code {
            case .sendBufferFull:
                if exists { sender.records[id, default: .init()].refusedForFullBuffer = true }
            case .messageTooLarge:
                let reported = error.messageSize ?? -1, reportedLimit = error.sizeLimit ?? .max
                if reported != size || size <= reportedLimit {
                    throw fail("\(sender.name) refused \(size) bytes as too large (\(reported) > \(reportedLimit))")
                }
            case .invalidChannel:
                let reported = error.channel ?? channel, count = error.channelCount ?? .max
                if reported != channel || reported < count {
                    throw fail("\(sender.name) refused channel \(channel) as invalid (\(reported) of \(count))")
                }
            case .connectionClosed:
                break
            default:
                throw fail("\(sender.name) refused a send with an unexpected error: \(error)")
            }
        } catch let violation as FuzzViolation {
            throw violation
        } catch {
            throw fail("unexpected error \(error)")
        }
    }

    private func deliverNext(to receiver: EngineFuzzPeer) throws(FuzzViolation) {
        guard !receiver.inbound.isEmpty else { return }
        let item = receiver.inbound.removeFirst()
        try deliver(item.bytes, genuine: item.genuine, to: receiver)
    }

    private func deliverMutated(_ input: inout FuzzInput) throws(FuzzViolation) {
        let (receiver, _) = side(input.readByte())
        let kind = input.readByte() % 7
        let position = Int(input.readUInt16())
        let value = input.readByte()
        guard !receiver.inbound.isEmpty else { return }
        let original = receiver.inbound.removeFirst()
        var bytes = original.bytes
        var source = receiver === server ? clientSource : server.address
        if bytes.isEmpty { bytes = [value] }
        switch kind {
        case 0: bytes[position % bytes.count] ^= 1 << (value & 7)
        case 1: bytes.removeLast(bytes.count - position % bytes.count)
        case 2: bytes.append(value)
        case 3: bytes[position % bytes.count] = value
        case 4:
            // A changed packet with a valid checksum: an attacker's or a broken middlebox's.
            if bytes.count > Datagram.trailerSize {
                bytes.removeLast(Datagram.trailerSize)
                bytes[position % bytes.count] ^= 1 << (value & 7)
                Datagram.seal(&bytes)
            }
        case 5:
            // Unchanged, from another address: the peer's NAT binding moved.
            if receiver === server { source = 2 }
            try deliver(bytes, genuine: true, to: receiver, from: source)
            return
        default:
            // A changed CONNECT or RETRY with a valid connect-key tag, as a peer holding the key
            // (or a buggy one) could send: reaches the handshake logic behind the tag. Without
            // security, or for other packets, the same as a changed packet with a valid checksum.
            let tagSize = Packet.protectionTagSize
            let type = bytes.count > 1 ? bytes[1] : 0
            if security != nil && bytes.count > tagSize && (type == PacketType.connect.rawValue || type == PacketType.retry.rawValue) {
                bytes.removeLast(tagSize)
                bytes[position % bytes.count] ^= 1 << (value & 7)
                bytes += HandshakeAuthenticator(key: SecurityFuzzKeys.shared.connect).tag(bytes)
                try deliver(bytes, genuine: false, keyed: true, to: receiver, from: source)
                return
            }
            if bytes.count > Datagram.trailerSize {
                bytes.removeLast(Datagram.trailerSize)
                bytes[position % bytes.count] ^= 1 << (value & 7)
                Datagram.seal(&bytes)
            }
        }
        // Setting a byte to the value it has changes nothing: still the peer's datagram.
        try deliver(bytes, genuine: original.genuine && bytes == original.bytes, to: receiver, from: source)
    }

    private func inject(_ input: inout FuzzInput) throws(FuzzViolation) {
        let (receiver, _) = side(input.readByte())
        let sourceChoice = Int(input.readByte())
        let flags = input.readByte()
        let length = Int(input.readByte())
        var bytes = input.readBytes(length)
        if flags & 2 != 0 && bytes.count >= 11 {
            // Aim at a live connection, so the packet gets past routing to the connection's logic.
            let id = receiver.connectionID(at: Int(flags >> 2)).rawValue
            for i in 0..<8 { bytes[3 + i] = UInt8(truncatingIfNeeded: id >> (56 - 8 * UInt64(i))) }
        }
        if flags & 1 != 0 { Datagram.seal(&bytes) }
        let source = receiver === server ? [1, 2, 3][sourceChoice % 3] : [0, 7][sourceChoice % 2]
        try deliver(bytes, genuine: false, to: receiver, from: source)
    }

    private func injectPathFrame(_ input: inout FuzzInput) throws(FuzzViolation) {
        let (receiver, _) = side(input.readByte())
        let sourceChoice = Int(input.readByte())
        let kind = input.readByte()
        var data = input.readUInt64()
        var echoed: Int?
        if kind & 2 != 0, let challenge = lastServerChallenge {
            data = challenge.data
            echoed = challenge.destination
        }
        let newest =
            receiver.history.last.map { bytes -> UInt64 in
                bytes.count >= Packet.headerSize ? bytes[11..<Packet.headerSize].reduce(0) { $0 << 8 | UInt64($1) } : 0
            } ?? 0
        let packetNumber: UInt64 = [newest &+ 1, newest, newest &+ 1000, 0][Int(kind >> 2 & 3)] & (Packet.packetNumberLimit - 1)
        let destination = receiver.connectionID(at: Int(kind >> 4))
        let frame: Frame = kind & 1 != 0 ? .pathResponse(data) : .pathChallenge(data)
        var bytes = Packet(
            destination: destination, packetNumber: packetNumber, body: .data([frame]),
            flags: security.map { $0 == .encrypted ? [.protected, .encrypted] : .protected } ?? .plain
        ).serialized()
        if security == nil {
            Datagram.seal(&bytes)
        } else {
            bytes += (0..<Packet.protectionTagSize).map { i in UInt8(truncatingIfNeeded: data >> UInt64(8 * (i % 8)) &+ UInt64(i)) }
        }
        let source = receiver === server ? [clientSource, 3, 6][sourceChoice % 3] : [0, 7][sourceChoice % 2]
        if receiver === server, kind & 1 != 0, let echoed, echoed == source {
            // Whoever echoes a challenge from the address it was sent to receives there (an
            // on-path attacker at that address): path validation rightly verifies it, and the
            // anti-amplification bound no longer applies to it.
            server.verifiedAddresses.insert(source)
        }
        report.pathFramesInjected += 1
        try deliver(bytes, genuine: false, to: receiver, from: source)
    }

    /// Hands a datagram to `receiver`. `genuine`: the other side sent exactly these bytes.
    /// `keyed`: made by someone holding the key (a re-tagged handshake packet), so it may create
    /// server state although the client never sent it.
    private func deliver(_ bytes: [UInt8], genuine: Bool, keyed: Bool = false, to receiver: EngineFuzzPeer, from source: Int? = nil)
        throws(FuzzViolation)
    {
        guard deliveries < Self.deliveryBudget || healing else { return }
        deliveries += 1
        report.datagramsDelivered = deliveries
        // With packet security nothing the peer did not send may be accepted, so no exemption.
        if security == nil && !genuine && !receiver.tainted && (try? Datagram.open(bytes)) != nil {
            receiver.tainted = true
            report.tainted = true
        }
        let from = source ?? (receiver === server ? clientSource : server.address)
        if keyed { keyedDelivered = true }
        let connectionsBefore = security != nil && receiver === server ? Set(server.endpoint.connectionIDs) : []
        bytes.withUnsafeBytes { receiver.endpoint.handle(datagram: $0, from: PeerAddress(node: from), at: now) }
        if receiver === server {
            server.bytesReceived[from, default: 0] += bytes.count
            // The client really is at an address it sent a genuine datagram from (address 2 is
            // its NAT rebinding); any other address may be a victim whose address was spoofed.
            if genuine { server.verifiedAddresses.insert(from) }
        }
        if security != nil && receiver === server {
            let created = Set(server.endpoint.connectionIDs).subtracting(connectionsBefore)
            if !genuine && !keyed, let id = created.first {
                throw fail(
                    "a \(bytes.count)-byte datagram the client never sent (from address \(from)) created server connection \(id): a peer without the key got state"
                )
            }
        }
        if genuine {
            receiver.history.append(bytes)
            if receiver.history.count > Self.historyLimit { receiver.history.removeFirst() }
        }
    }

    private func runToDeadline() throws(FuzzViolation) {
        let deadlines = [client.endpoint.nextDeadline(), server.endpoint.nextDeadline()].compactMap { $0 }
        guard let earliest = deadlines.min() else { return }
        if earliest > now { now = earliest }
        // The timer guarantee (issue 14): one handleTimeout(at: now) and a drained pollTransmit
        // move every deadline past now, so a driver that sleeps until the next one never spins.
        for peer in [client, server] {
            guard let deadline = peer.endpoint.nextDeadline(), deadline <= now else { continue }
            peer.endpoint.handleTimeout(at: now)
            try settle()
            if let deadline = peer.endpoint.nextDeadline(), deadline <= now {
                throw fail(
                    "\(peer.name) deadline \(deadline) stays due at \(now) after handleTimeout and pollTransmit (a driver would spin)")
            }
        }
    }

    // MARK: - After every operation

    /// Moves all output into the queues, takes all events and checks the bounds.
    private func settle() throws(FuzzViolation) {
        try transmit(from: client, to: server)
        try transmit(from: server, to: client)
        try takeEvents(of: client, peer: server)
        try takeEvents(of: server, peer: client)
        try checkBounds(of: client, connectionLimit: clientConnections)
        try checkBounds(of: server, connectionLimit: server.configuration.maxConnections)
        try checkAddresses()
    }

    private func transmit(from sender: EngineFuzzPeer, to receiver: EngineFuzzPeer) throws(FuzzViolation) {
        var count = 0
        while let (datagram, destination) = try nextDatagram(from: sender) {
            count += 1
            if sender === server {
                // Anti-amplification: at most 3x (plain: PROTOCOL.md 7.2) or 1x (secure: 20.4) the
                // bytes received from an address nobody showed to be the client's.
                sender.bytesSent[destination, default: 0] += datagram.count
                let received = sender.bytesReceived[destination, default: 0]
                let factor = security == nil ? 3 : 1
                if !sender.verifiedAddresses.contains(destination) && sender.bytesSent[destination, default: 0] > factor * received {
                    throw fail(
                        "the server sent \(sender.bytesSent[destination, default: 0]) bytes to unverified address \(destination), which sent it only \(received) (amplification)"
                    )
                }
            }
            let protectedConnect =
                security != nil && datagram.count == Packet.protectedConnectDatagramSize
                && datagram.count > 1 && datagram[1] == PacketType.connect.rawValue
            if datagram.count > sender.configuration.connection.maxDatagramSize && !protectedConnect {
                throw fail(
                    "\(sender.name) sent a datagram of \(datagram.count) bytes above its maximum \(sender.configuration.connection.maxDatagramSize)"
                )
            }
            if sender === server && security == nil, let packet = try? Datagram.open(datagram), case .data(let frames) = packet.body {
                for case .pathChallenge(let data) in frames { lastServerChallenge = (data, destination) }
            }
            // The client is reachable at its current NAT binding and at addresses 1 and 2.
            let reachesPeer =
                receiver === server
                ? destination == server.address
                : (destination == 1 || destination == 2 || destination == clientSource)
            if reachesPeer && receiver.inbound.count < Self.queueLimit {
                receiver.inbound.append((datagram, true))
            }
        }
    }

    /// The sender's next datagram and its destination node: taken from the batches the endpoint
    /// writes into the peer's buffer (up to ``EngineFuzzPeer/batchSegments`` datagrams of one
    /// destination back to back), whose shape is checked: every segment but the last has the
    /// batch's segment size, the last at most that.
    private func nextDatagram(from sender: EngineFuzzPeer) throws(FuzzViolation) -> (datagram: [UInt8], destination: Int)? {
        if sender.pending.isEmpty {
            let batch = sender.outputBuffer.withUnsafeMutableBytes { raw -> (Transmit, [[UInt8]])? in
                guard let transmit = sender.endpoint.pollTransmit(into: raw, maxSegments: EngineFuzzPeer.batchSegments, at: now) else {
                    return nil
                }
                var datagrams: [[UInt8]] = []
                var offset = 0
                while offset < transmit.byteCount {
                    let size = min(transmit.segmentSize, transmit.byteCount - offset)
                    datagrams.append(Array(UnsafeRawBufferPointer(rebasing: raw[offset..<offset + size])))
                    offset += size
                }
                return (transmit, datagrams)
            }
            guard let (transmit, datagrams) = batch else { return nil }
            if datagrams.count != transmit.segmentCount || transmit.segmentCount > EngineFuzzPeer.batchSegments || transmit.segmentSize <= 0
            {
                throw fail("\(sender.name) wrote a malformed batch: \(transmit)")
            }
            for datagram in datagrams.reversed() { sender.pending.append((datagram, transmit.destination.node ?? -1)) }
        }
        return sender.pending.popLast()
    }

    private func takeEvents(of peer: EngineFuzzPeer, peer other: EngineFuzzPeer) throws(FuzzViolation) {
        var count = 0
        while let (id, event) = peer.endpoint.pollEvent() {
            count += 1
            if count > Self.pollLimit { throw fail("\(peer.name) produced more than \(Self.pollLimit) events at once") }
            if peer.closedConnections.contains(id) { throw fail("\(peer.name) connection \(id) reported \(event) after .closed") }
            var record = peer.records[id, default: .init()]
            switch event {
            case .connected:
                if record.connectedSeen { throw fail("\(peer.name) connection \(id) reported .connected twice") }
                record.connectedSeen = true
                report.connectionsEstablished += 1
            case .message(let message):
                report.messagesDelivered += 1
                if !holdsCredit { peer.endpoint.releaseCredit(message, on: id) }  // consumed at once
                try checkDelivery(message, on: id, at: peer, sentBy: other, record: &record)
            case .acknowledged(let messageID), .failed(let messageID):
                if record.pendingReliable.remove(messageID) == nil {
                    let what = record.unreliable.contains(messageID) ? "an unreliable message" : "no pending reliable message"
                    throw fail("\(peer.name) connection \(id) reported \(event) for \(what)")
                }
                if case .acknowledged = event {
                    report.messagesAcknowledged += 1
                    if let counter = record.counters[messageID] { record.acknowledgedCounters.append(counter) }
                }
            case .writable:
                if !record.refusedForFullBuffer { throw fail("\(peer.name) connection \(id) reported .writable without a refused send") }
                record.refusedForFullBuffer = false
            case .closed(let reason):
                switch reason.code {
                case .protocolViolation, .flowControlViolation:
                    // The peer is a correct engine: only something it never sent can make it look broken.
                    if !client.tainted && !server.tainted && !keyedDelivered {
                        throw fail(
                            "\(peer.name) connection \(id) closed with \(reason), though every datagram accepted was one the peer sent (duplicated, reordered or replayed at most)"
                        )
                    }
                default:
                    break
                }
                if !record.pendingReliable.isEmpty {
                    throw fail(
                        "\(peer.name) connection \(id) closed (\(reason)) with \(record.pendingReliable.count) reliable message(s) neither acknowledged nor failed"
                    )
                }
                if reason == .closedLocally && !record.closeRequested {
                    throw fail("\(peer.name) connection \(id) closed locally without close()")
                }
                if reason == .aborted && !record.abortRequested { throw fail("\(peer.name) connection \(id) aborted without abort()") }
                if peer.endpoint.connection(id) != nil { throw fail("\(peer.name) connection \(id) still exists after .closed") }
                peer.closedConnections.insert(id)
                report.connectionsClosed += 1
                peer.held.removeAll { $0.0 == id }
            }
            peer.records[id] = record
        }
    }

    private func checkDelivery(
        _ message: ReceivedMessage, on id: ConnectionID, at receiver: EngineFuzzPeer, sentBy sender: EngineFuzzPeer,
        record: inout EngineFuzzPeer.ConnectionRecord
    ) throws(FuzzViolation) {
        let window = receiver.configuration.connection.receiveWindow
        if holdsCredit {
            receiver.held.append((id, message))
            if message.mode.isReliable { record.heldReliableBytes += message.buffer.readableBytes }
        }
        if receiver.tainted { return }
        let what =
            "\(receiver.name) connection \(id) delivered \(message.buffer.readableBytes) bytes (channel \(message.channel), \(message.mode))"
        if record.heldReliableBytes > window {
            throw fail("\(what): \(record.heldReliableBytes) reliable bytes held back exceed the receive window \(window)")
        }
        guard let connection = receiver.endpoint.connection(id) else { throw fail("\(what) for a connection it does not have") }
        let bytes = message.bytes  // one copy for the checks below
        guard let counter = EngineFuzzPayload.counter(of: bytes) else {
            let key = EngineFuzzPeer.ShortMessageKey(size: message.buffer.readableBytes, channel: message.channel, mode: message.mode)
            if !sender.shortMessagesSent.contains(key) || bytes != EngineFuzzPayload.make(counter: 0, size: bytes.count) {
                throw fail("\(what) that \(sender.name) never sent: \(WireFuzzer.hex(bytes))")
            }
            return
        }
        guard let sent = sender.sent[counter] else {
            throw fail("\(what) with counter \(counter) that \(sender.name) never sent")
        }
        if sent.size != bytes.count || bytes != EngineFuzzPayload.make(counter: counter, size: sent.size) {
            throw fail("\(what) differing from message \(counter) of \(sent.size) bytes that \(sender.name) sent")
        }
        if sent.channel != message.channel || sent.mode != message.mode {
            throw fail("\(what) but message \(counter) was sent on channel \(sent.channel), \(sent.mode)")
        }
        if sent.connection != connection.peerID {
            throw fail(
                "\(what): message \(counter) was sent on \(sender.name) connection \(sent.connection), not this connection's peer \(connection.peerID)"
            )
        }
        if !record.deliveredCounters.insert(counter).inserted {
            throw fail("\(what): message \(counter) delivered twice")
        }
        if message.mode == .reliableOrdered {
            if let last = record.lastOrderedCounter[message.channel], counter <= last {
                throw fail("\(what): ordered message \(counter) delivered after message \(last)")
            }
            record.lastOrderedCounter[message.channel] = counter
        }
    }

    /// Path validation (`Specs/PROTOCOL.md` section 7.4): a client never changes the server's
    /// address, and a server connection moves only to an address the client really sent from
    /// (unless, in plain mode, the server accepted a forged datagram: then anyone who knows the
    /// connection ID and a challenge could have answered it).
    private func checkAddresses() throws(FuzzViolation) {
        for id in client.endpoint.connectionIDs {
            if let address = client.endpoint.address(of: id)?.node, address != server.address {
                throw fail("client connection \(id) moved to address \(address): a client never changes the server address")
            }
        }
        for id in server.endpoint.connectionIDs {
            guard let address = server.endpoint.address(of: id)?.node else { continue }
            guard let initial = initialServerAddresses[id] else {
                initialServerAddresses[id] = address
                continue
            }
            if address != initial && !server.verifiedAddresses.contains(address) && (security != nil || !server.tainted) {
                throw fail("server connection \(id) moved from address \(initial) to \(address), where the client never sent from")
            }
        }
    }

    private func checkBounds(of peer: EngineFuzzPeer, connectionLimit: Int) throws(FuzzViolation) {
        if peer.endpoint.connectionCount > connectionLimit {
            throw fail("\(peer.name) holds \(peer.endpoint.connectionCount) connections, more than \(connectionLimit)")
        }
        let configuration = peer.configuration.connection
        for id in peer.endpoint.connectionIDs {
            guard let statistics = peer.endpoint.connection(id)?.statistics else { continue }
            if statistics.sendBufferBytes > configuration.sendBufferBytes
                || statistics.sendBufferMessages > configuration.sendBufferMessages
            {
                throw fail(
                    "\(peer.name) connection \(id) buffers \(statistics.sendBufferMessages) messages / \(statistics.sendBufferBytes) bytes, above \(configuration.sendBufferMessages) / \(configuration.sendBufferBytes)"
                )
            }
        }
    }
}
