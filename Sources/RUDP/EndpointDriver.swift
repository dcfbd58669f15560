import DequeModule
import Logging
import NIOCore
import RUDPCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Runs one ``Endpoint`` on its channel's event loop: feeds it datagrams in batches, writes
/// everything it produces with a single flush, keeps one timer armed at its next deadline, and
/// exchanges commands and deliveries with the application through each connection's
/// ``ConnectionMailbox``.
///
/// Every method and property is confined to `eventLoop` (hence `@unchecked Sendable`): the
/// application side only ever calls the `schedule...` and `submit...` entry points, which hop.
final class EndpointDriver: @unchecked Sendable {
    enum Role: Sendable { case client, server }

    let eventLoop: any EventLoop
    /// Runs tasks on `eventLoop` (handlers that asked to run beside their connection's engine).
    let taskExecutor: EventLoopTaskExecutor
    let configuration: RUDPConfiguration
    let role: Role
    let logger: Logger
    let metrics: TransportMetrics
    /// Accepted connections (server only).
    let acceptQueue: AcceptQueue

    private let endpoint: Endpoint
    /// The socket addresses of the peers, by the engine's peer address.
    private var addresses = SocketAddressCache()
    private let allocator = ByteBufferAllocator()
    private var context: ChannelHandlerContext?
    private var records: [ConnectionID: ConnectionRecord] = [:]
    private var touched: [ConnectionRecord] = []
    private var timer: Scheduled<Void>?
    private var armedDeadline: Timestamp?
    private var lossGenerator: SeededGenerator
    private var datagramsSeen = 0
    private var hasUnflushedWrites = false
    private var outgoing: DatagramBatch
    /// Set when a segmented write failed: later writes are plain.
    private var segmentationFailed = false
    private var releasedCredit = false
    private var inputPending = false
    private(set) var isShuttingDown = false
    private var isChannelClosed = false
    /// Datagrams dropped by injected loss.
    private(set) var injectedLosses = 0
    private var batchCounts = BatchCounts()
    /// Connections with senders waiting for room in a non-empty send buffer: republished every
    /// step so those senders see room free up (unreliable messages leave without an event).
    private var busy: [ConnectionRecord] = []
    /// Client connections given up because the server's port was unreachable (ICMP).
    private var refused: Set<ConnectionID> = []
    /// A write failed with ECONNREFUSED (ICMP port unreachable on the client's connected socket),
    /// which closes the channel: its connections end with a refusal.
    private var refusedByWrite = false
    /// Handshakes that failed authentication, as of the last warning, and when it was logged.
    private var warnedHandshakeFailures = 0
    private var lastHandshakeWarning: Timestamp?
    /// At most one warning about failed handshakes per this many nanoseconds.
    static let handshakeWarningInterval: UInt64 = 10_000_000_000

    /// A driver whose endpoint draws connection IDs from the system's secure random generator
    /// (`getrandom` on Linux): nothing in the configuration can seed or predict them.
    init(eventLoop: any EventLoop, configuration: RUDPConfiguration, role: Role, security: EndpointSecurity? = nil) {
        self.eventLoop = eventLoop
        self.taskExecutor = EventLoopTaskExecutor(eventLoop)
        self.configuration = configuration
        self.role = role
        self.logger = configuration.logger
        self.metrics = TransportMetrics(role: role, factory: configuration.metricsFactory)
        self.acceptQueue = AcceptQueue()
        self.endpoint = Endpoint(
            configuration: configuration.endpointConfiguration(acceptsConnections: role == .server),
            randomness: SystemRandomNumberGenerator(), security: security)
        self.lossGenerator = SeededGenerator(seed: configuration.lossSeed)
        self.outgoing = DatagramBatch(usesSegmentation: configuration.usesSegmentationOffload)
    }

    private var now: Timestamp { Timestamp(nanoseconds: NIODeadline.now().uptimeNanoseconds) }

    // MARK: - Channel events (from DatagramChannelHandler)

    func channelActive(_ context: ChannelHandlerContext) {
        self.context = context
    }

    /// One read: a datagram, or with GRO several of one peer coalesced, each handed to the
    /// engine as a slice of the read's buffer.
    func channelRead(_ envelope: AddressedEnvelope<ByteBuffer>) {
        guard let peer = PeerAddress(envelope.remoteAddress) else { return }  // not an IP peer
        let now = self.now
        var remembered = false
        // Counted in locals and stored once per read: each access to a stored property of this
        // class costs a run-time exclusivity check, per datagram.
        var seen = datagramsSeen, dropped = 0, received = 0, bytesReceived = 0
        let loss = configuration.receiveLoss, warmup = configuration.lossWarmupDatagrams
        envelope.data.withUnsafeReadableBytes { bytes in
            ReceiveOffload.forEachSegment(of: bytes, segmentSize: envelope.metadata?.segmentSize) { datagram in
                seen += 1
                if loss > 0, seen > warmup, lossGenerator.nextUnitDouble() < loss {
                    dropped += 1
                    return
                }
                if !remembered {
                    addresses.remember(envelope.remoteAddress, as: peer)
                    remembered = true
                }
                received += 1
                bytesReceived += datagram.count
                endpoint.handle(datagram: datagram, from: peer, at: now)
            }
        }
        datagramsSeen = seen
        if dropped > 0 { injectedLosses += dropped }
        if received > 0 {
            batchCounts.datagramsReceived += received
            batchCounts.bytesReceived += bytesReceived
            inputPending = true
        }
    }

    func channelReadComplete() {
        guard inputPending else { return }
        inputPending = false
        let now = self.now
        service(at: now)
        warnAboutFailedHandshakes(at: now)
    }

    /// A server with a pre-shared key logs a warning (at most one per 10 s, with the count since
    /// the last one) when CONNECTs fail authentication: a client with another key is silence to
    /// that client, so the server's log is where an operator can see it.
    private func warnAboutFailedHandshakes(at now: Timestamp) {
        let failures = endpoint.statistics.handshakeAuthenticationFailures
        guard failures > warnedHandshakeFailures else { return }
        if let last = lastHandshakeWarning, now.nanoseconds &- last.nanoseconds < Self.handshakeWarningInterval { return }
        let count = failures - warnedHandshakeFailures
        logger.warning(
            "\(count) CONNECT\(count == 1 ? "" : "s") failed authentication: a client with another pre-shared key or security mode, or forged datagrams (\(failures) in total)"
        )
        warnedHandshakeFailures = failures
        lastHandshakeWarning = now
    }

    /// An error the socket reported. ECONNREFUSED on a client's connected socket means ICMP port
    /// unreachable: nothing listens on the server's port. With
    /// ``RUDPConfiguration/failsWhenPortUnreachable`` a connection still in its handshake ends
    /// with ``RUDPError/Code/connectionRefused``; otherwise CONNECT is retried as if lost.
    func socketError(_ error: any Error) {
        guard role == .client, (error as? IOError)?.errnoCode == ECONNREFUSED else {
            logger.debug("socket error", metadata: ["error": "\(error)"])
            return
        }
        logger.debug("the server's port is unreachable (ICMP)", metadata: ["error": "\(error)"])
        guard configuration.failsWhenPortUnreachable else { return }
        let now = self.now
        for record in records.values where !record.mailbox.state.withLock({ $0.isConnected }) {
            refused.insert(record.id)
            endpoint.abort(record.id, at: now)
        }
        service(at: now)
    }

    /// The error of a connection whose server's host answered ICMP port unreachable.
    private static func refusal(_ record: ConnectionRecord) -> RUDPError {
        let target = SocketBinding.describe(record.handle.remoteAddress)
        return RUDPError(.connectionRefused, "nothing listens on \(target): its host answered 'port unreachable'; is the server running?")
    }

    func channelInactive() {
        isChannelClosed = true
        context = nil
        timer?.cancel()
        timer = nil
        armedDeadline = nil
        for record in records.values {
            let error: RUDPError
            if isShuttingDown {
                error = RUDPError(.serverShutdown, "the server shut down")
            } else if refusedByWrite {
                error = Self.refusal(record)
            } else {
                error = RUDPError(.connectionClosed, "the socket was closed")
            }
            metrics.connectionClosed(smoothedRTT: record.engine.statistics.smoothedRTT)
            finish(record, reason: .aborted, error: error)
        }
        records.removeAll()
        acceptQueue.finish()
    }

    // MARK: - The service step

    /// After any input, timer or command: write what the engine produced, deliver its events,
    /// publish to the mailboxes, write again (events may free credit), flush once, re-arm the timer.
    private func service(at now: Timestamp) {
        outgoing.recycle()
        transmit(at: now)
        processEvents()
        for record in busy { touch(record) }
        busy.removeAll(keepingCapacity: true)
        for record in touched where record.commandsWritable {
            record.commandsWritable = false
            moveCommands(record, at: now)
        }
        transmit(at: now)
        processEvents()
        publishTouched()
        if releasedCredit {
            releasedCredit = false
            transmit(at: now)  // MAX_DATA
        }
        if hasUnflushedWrites, let context {
            hasUnflushedWrites = false
            context.flush()
        }
        metrics.record(&batchCounts)
        rearmTimer()
    }

    private func transmit(at now: Timestamp) {
        guard let context else {
            // Socket gone: discard.
            var scratch = [UInt8](repeating: 0, count: endpoint.maximumDatagramSize)
            while scratch.withUnsafeMutableBytes({ endpoint.pollTransmit(into: $0, at: now) }) != nil {}
            return
        }
        let (datagrams, bytes) = outgoing.fill(from: endpoint, addresses: &addresses, allocator: allocator, at: now)
        batchCounts.datagramsSent += datagrams
        batchCounts.bytesSent += bytes
        if !outgoing.isEmpty {
            if segmentationFailed { outgoing.usesSegmentation = false }
            // A client's socket connected for failsWhenPortUnreachable can see ICMP port
            // unreachable as a write error, which closes NIO's datagram channel (a read error does
            // not): remember it so channelInactive reports a refusal, not a closed socket.
            let watchesRefusals = role == .client && configuration.failsWhenPortUnreachable
            let onSegmentationFailure: @Sendable (any Error) -> Void = { [self] error in
                // On the loop, possibly inside the write: only set a flag, applied before the next one.
                if (error as? IOError)?.errnoCode == ECONNREFUSED {
                    if watchesRefusals { refusedByWrite = true }
                } else if !segmentationFailed && !isChannelClosed {
                    segmentationFailed = true
                    logger.debug("UDP segmentation offload failed; using plain writes", metadata: ["error": "\(error)"])
                }
            }
            var onLastWriteFailure: (@Sendable (any Error) -> Void)? = nil
            if watchesRefusals {
                onLastWriteFailure = { [self] error in
                    // Runs inside the write, before channelInactive: only set the flag.
                    if (error as? IOError)?.errnoCode == ECONNREFUSED { refusedByWrite = true }
                }
            }
            outgoing.write(to: context, onSegmentationFailure: onSegmentationFailure, onLastWriteFailure: onLastWriteFailure)
            hasUnflushedWrites = true
        }
    }

    private func rearmTimer() {
        guard !isChannelClosed, let deadline = endpoint.nextDeadline() else { return }
        // An armed timer that fires early is harmless (the engine ignores it and we re-arm), so
        // only a deadline earlier than the armed one needs a new timer.
        if let armed = armedDeadline, armed <= deadline { return }
        // The engine moves every deadline past the time its timeouts were handled at (issue 14),
        // so a timer armed here never fires again for the same instant.
        timer?.cancel()
        armedDeadline = deadline
        timer = eventLoop.scheduleTask(deadline: .uptimeNanoseconds(deadline.nanoseconds)) { [self] in
            timerFired()
        }
    }

    /// How many times the timer fired (diagnostics: an idle endpoint should hardly ever wake).
    private(set) var timerFirings = 0

    private func timerFired() {
        timerFirings += 1
        timer = nil
        armedDeadline = nil
        guard !isChannelClosed else { return }
        let now = self.now
        endpoint.handleTimeout(at: now)
        service(at: now)
    }

    private func touch(_ record: ConnectionRecord) {
        if !record.isTouched {
            record.isTouched = true
            touched.append(record)
        }
    }

    // MARK: - Events

    private func processEvents() {
        // Consecutive events mostly concern one connection: look its record up once.
        var current: ConnectionRecord?
        while let (id, event) = endpoint.pollEvent() {
            switch event {
            case .connected:
                connected(id)
                continue
            case .closed(let reason):
                current = nil
                closed(id, reason: reason)
                continue
            default:
                break
            }
            let record: ConnectionRecord
            if let current, current.id == id {
                record = current
            } else if let found = records[id] {
                current = found
                record = found
            } else {
                continue
            }
            switch event {
            case .message(let message):
                record.delivered.append(message)
            case .acknowledged(let message):
                record.settle(message, result: .success(()))
            case .failed(let message):
                record.settle(
                    message,
                    result: .failure(RUDPError(.connectionClosed, "the connection ended before message \(message) was acknowledged")))
            case .writable:
                record.commandsWritable = true
            case .connected, .closed:
                break
            }
            touch(record)
        }
    }

    /// The engine reported connection `id` closed.
    private func closed(_ id: ConnectionID, reason: CloseReason) {
        guard let record = records.removeValue(forKey: id) else { return }
        logger.debug("connection closed", metadata: ["connection": "\(id)", "reason": "\(reason)"])
        var error = RUDPError(closeReason: reason)
        if isShuttingDown, error != nil { error = RUDPError(.serverShutdown, "the server shut down") }
        if refused.remove(id) != nil { error = Self.refusal(record) }
        // Count first: finishing resumes the application's close(), which may read the metrics.
        metrics.connectionClosed(smoothedRTT: record.engine.statistics.smoothedRTT)
        // Hand the final CLOSE to the socket before anyone learns of the close: a process
        // that exits as soon as close() or abort() returns must still have told its peer.
        if hasUnflushedWrites, let context {
            hasUnflushedWrites = false
            context.flush()
        }
        finish(record, reason: reason, error: error)
        if role == .client && records.isEmpty { closeChannelWhenFlushed() }
    }

    private func connected(_ id: ConnectionID) {
        guard let engine = endpoint.connection(id) else { return }
        let limits = Self.limits(of: engine, configuration.connection)
        if let record = records[id] {
            // Client: the handshake finished.
            record.mailbox.connected(messageLimit: limits.messageLimit, channelCount: limits.channelCount)
            logger.debug("connected", metadata: ["connection": "\(id)", "peer": "\(SocketBinding.describe(record.handle.remoteAddress))"])
            return
        }
        guard role == .server, !isShuttingDown, let peer = endpoint.address(of: id),
            let address = addresses.socketAddress(for: peer)
        else { return }
        let mailbox = ConnectionMailbox(
            configuration: configuration.connection, messageLimit: limits.messageLimit, channelCount: limits.channelCount)
        mailbox.connected(messageLimit: limits.messageLimit, channelCount: limits.channelCount)
        let handle = RUDPConnection(id: id, remoteAddress: address, mailbox: mailbox, driver: self)
        records[id] = ConnectionRecord(id: id, engine: engine, handle: handle)
        metrics.connectionOpened()
        // The server's side of the handshake: from the first CONNECT to the client's confirmation.
        let current = now.nanoseconds
        metrics.handshakeCompleted(nanoseconds: current > engine.createdAt.nanoseconds ? current - engine.createdAt.nanoseconds : 0)
        logger.debug("accepted connection", metadata: ["connection": "\(id)", "peer": "\(SocketBinding.describe(address))"])
        acceptQueue.append(handle)
    }

    static func limits(of engine: Connection, _ configuration: ConnectionConfiguration) -> (messageLimit: Int, channelCount: UInt8) {
        let peer = engine.peerParameters
        let messageLimit = min(configuration.maxMessageSize, Int(peer?.maxMessageSize ?? UInt32(configuration.maxMessageSize)))
        let channelCount = min(configuration.channelCount, peer?.channelCount ?? configuration.channelCount)
        return (messageLimit, channelCount)
    }

    /// Hands the batch's deliveries, settled waiters and send-buffer levels to each touched mailbox.
    private func publishTouched() {
        while let record = touched.popLast() {
            record.isTouched = false
            guard records[record.id] != nil else { continue }
            record.resolveBarriers()
            let statistics = record.engine.statistics
            if statistics.fragmentsRetransmitted > record.reportedRetransmissions {
                batchCounts.retransmissions += statistics.fragmentsRetransmitted - record.reportedRetransmissions
                record.reportedRetransmissions = statistics.fragmentsRetransmitted
            }
            let (releases, sendersWaiting) = record.mailbox.publish(
                statistics: statistics, moved: (record.movedMessages, record.movedBytes),
                delivered: record.delivered, resolutions: record.resolutions)
            releaseCredit(releases, on: record)
            releasedCredit = releasedCredit || !releases.isEmpty
            record.movedMessages = 0
            record.movedBytes = 0
            record.delivered.removeAll(keepingCapacity: true)
            record.resolutions.removeAll(keepingCapacity: true)
            if sendersWaiting && statistics.sendBufferMessages > 0 { busy.append(record) }
        }
    }

    private func finish(_ record: ConnectionRecord, reason: CloseReason, error: RUDPError?) {
        let failure: any Error = error ?? RUDPError.closedLocally
        for token in record.acknowledgementTokens.values { record.resolutions.append((token, .failure(failure))) }
        for barrier in record.barriers { record.resolutions.append((barrier.token, .failure(failure))) }
        record.acknowledgementTokens.removeAll()
        record.barriers.removeAll()
        record.mailbox.close(
            reason: reason, error: error, statistics: record.engine.statistics,
            delivered: record.delivered, resolutions: record.resolutions)
        record.delivered.removeAll()
        record.resolutions.removeAll()
    }

    private func closeChannelWhenFlushed() {
        guard let context else { return }
        if hasUnflushedWrites {
            hasUnflushedWrites = false
            context.flush()
        }
        // Writes flushed before close are sent; closing after the flush keeps the final CLOSE.
        context.close(promise: nil)
    }

    // MARK: - Commands from the application (always on the loop)

    /// Opens a client connection to `address` (which is `peer` to the engine) and returns its handle.
    func connect(to address: SocketAddress, peer: PeerAddress) -> RUDPConnection {
        addresses.remember(address, as: peer)
        let id = endpoint.connect(to: peer, at: now)
        let engine = endpoint.connection(id)!
        let limits = Self.limits(of: engine, configuration.connection)
        let mailbox = ConnectionMailbox(
            configuration: configuration.connection, messageLimit: limits.messageLimit, channelCount: limits.channelCount)
        let handle = RUDPConnection(id: id, remoteAddress: address, mailbox: mailbox, driver: self)
        records[id] = ConnectionRecord(id: id, engine: engine, handle: handle)
        metrics.connectionOpened()
        logger.debug("connecting", metadata: ["connection": "\(id)", "peer": "\(SocketBinding.describe(address))"])
        service(at: now)
        return handle
    }

    func scheduleDrain(_ id: ConnectionID) {
        eventLoop.execute { [self] in drain(id) }
    }

    func scheduleRelease(_ id: ConnectionID) {
        eventLoop.execute { [self] in releaseCredit(id) }
    }

    /// Moves the mailbox's queued commands into the engine and carries out close/abort requests.
    private func drain(_ id: ConnectionID) {
        guard let record = records[id] else { return }
        let now = self.now
        moveCommands(record, at: now)
        touch(record)
        service(at: now)
    }

    /// Takes the mailbox's queued commands and moves them into the engine (or carries out an
    /// abort); those the engine refuses for now go back to the head of the mailbox's queue, to be
    /// taken again on ``ConnectionEvent/writable``. Then tells the engine to close once the
    /// application asked to and every command before has been taken.
    private func moveCommands(_ record: ConnectionRecord, at now: Timestamp) {
        var (commands, abortReason) = record.mailbox.takeCommands()
        if let abortReason {
            endpoint.abort(record.id, at: now, with: CloseFrame(code: .aborted, reason: abortReason))
            return
        }
        moveIntoEngine(record, &commands)
        record.mailbox.putBack(commands)
        if commands.isEmpty && !record.closeIssued && record.mailbox.isCloseDue {
            record.closeIssued = true
            endpoint.close(record.id, at: now)
        }
    }

    /// Returns consumed messages' credit to the engine. Only the first goes through the
    /// endpoint, which marks the connection for output and timers once; the rest go straight to
    /// the connection, since the endpoint polls it after that anyway.
    private func releaseCredit(_ messages: [ReceivedMessage], on record: ConnectionRecord) {
        guard let first = messages.first else { return }
        endpoint.releaseCredit(first, on: record.id)
        for message in messages.dropFirst() { record.engine.releaseCredit(message) }
    }

    /// Moves `commands` into the engine, in order, until it refuses one (send buffer full):
    /// that one and those after it are left in `commands`.
    private func moveIntoEngine(_ record: ConnectionRecord, _ commands: inout Deque<OutgoingCommand>) {
        // The first accepted message goes through the endpoint (which marks the connection for
        // output and timers); later ones in the same batch go straight to the connection.
        var endpointTouched = false
        var movedMessages = 0, movedBytes = 0
        defer {
            record.movedMessages += movedMessages
            record.movedBytes += movedBytes
        }
        while let command = commands.first {
            switch command {
            case .message(let m):
                do {
                    let messageID: MessageID
                    if endpointTouched {
                        messageID = try record.engine.send(m.bytes, channel: m.channel, mode: m.mode)
                    } else {
                        messageID = try endpoint.send(m.bytes, on: record.id, channel: m.channel, mode: m.mode)
                        endpointTouched = true
                    }
                    if let token = m.acknowledgementToken {
                        if m.mode.isReliable {
                            record.acknowledgementTokens[messageID] = token
                        } else {
                            record.resolutions.append((token, .success(())))
                        }
                    }
                } catch .sendBufferFull {
                    return  // resumed on .writable
                } catch {
                    let failure = RUDPError(sendError: error)
                    logger.debug("message refused", metadata: ["connection": "\(record.id)", "error": "\(failure)"])
                    if let token = m.acknowledgementToken { record.resolutions.append((token, .failure(failure))) }
                }
                movedMessages += 1
                movedBytes += m.bytes.readableBytes
            case .barrier(let token):
                // Everything queued before the barrier is in the engine now: it is acknowledged
                // once every message below the next ID has left the send buffer.
                let through = record.engine.nextMessageID
                if record.engine.messagesReleasedBelow >= through {
                    record.resolutions.append((token, .success(())))
                } else {
                    record.barriers.append((through, token))
                }
            }
            commands.removeFirst()
        }
    }

    private func releaseCredit(_ id: ConnectionID) {
        guard let record = records[id] else { return }
        releaseCredit(record.mailbox.takeReleases(), on: record)
        service(at: now)
    }

    /// The engine's statistics of a connection (nil once it is gone).
    func statistics(of id: ConnectionID) -> ConnectionStatistics? {
        records[id]?.engine.statistics
    }

    /// The endpoint's counters.
    var endpointStatistics: EndpointStatistics { endpoint.statistics }

    /// The type of the endpoint's random source (tests check it is the system's secure one).
    var randomSourceName: String { endpoint.randomSourceName }

    // MARK: - Server shutdown

    /// Closes every connection with CLOSE(serverShutdown), then the socket.
    func shutdown() {
        guard !isShuttingDown else { return }
        isShuttingDown = true
        acceptQueue.finish()
        let now = self.now
        for id in endpoint.connectionIDs {
            // The engine writes the CLOSE (protected like every packet when security is on).
            endpoint.abort(id, at: now, with: CloseFrame(code: .serverShutdown, reason: "server shutting down"))
        }
        service(at: now)
        if let context {
            context.close(promise: nil)
        }
    }
}

extension EndpointDriver: DatagramChannelDriver {}
