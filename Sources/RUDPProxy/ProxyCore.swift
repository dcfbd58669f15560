import Logging
import NIOCore
import NIOPosix
import RUDPCore
import RUDPImpairment

/// The proxy's state and logic, confined to one event loop: the flow table, one
/// ``DirectionPipeline`` per direction with its timer, the flow sweeper, and the writes.
///
/// Every method must be called on ``eventLoop``; ``UDPProxy`` hops there.
final class ProxyCore {
    let eventLoop: any EventLoop
    let upstreamAddress: SocketAddress
    let configuration: ProxyConfiguration
    /// `NIODeadline` uptime at start: proxy time zero.
    private let startUptime: UInt64

    var listenChannel: (any Channel)?
    private var flows: [SocketAddress: Flow] = [:]
    private var up: DirectionPipeline<SocketAddress>
    private var down: DirectionPipeline<SocketAddress>
    private var flowStatistics = ProxyStatistics.Flows()
    /// Writes handed to a socket and not yet completed, per direction.
    private var pendingWrites: [ProxyDirection: Int] = [.up: 0, .down: 0]

    private var timers: [ProxyDirection: (deadline: Timestamp, task: Scheduled<Void>)] = [:]
    private var sweepTask: Scheduled<Void>?
    private var isShutDown = false

    /// Scratch space for datagrams due now (kept to avoid an allocation per datagram).
    private var due: [(payload: ByteBuffer, target: SocketAddress)] = []
    private var listenNeedsFlush = false
    private var flowsNeedingFlush: [Flow] = []
    private var logThrottle = LogThrottle()
    private var logger: Logger { configuration.logger }

    init(eventLoop: any EventLoop, upstreamAddress: SocketAddress, configuration: ProxyConfiguration) {
        self.eventLoop = eventLoop
        self.upstreamAddress = upstreamAddress
        self.configuration = configuration
        self.startUptime = NIODeadline.now().uptimeNanoseconds
        var generator = SeededGenerator(seed: configuration.seed)
        let upGenerator = generator.fork()
        let downGenerator = generator.fork()
        up = DirectionPipeline(
            impairments: configuration.impairments.up, generator: upGenerator,
            capacity: configuration.delayLineCapacity,
            byteCapacity: configuration.delayLineByteCapacity)
        down = DirectionPipeline(
            impairments: configuration.impairments.down, generator: downGenerator,
            capacity: configuration.delayLineCapacity,
            byteCapacity: configuration.delayLineByteCapacity)
    }

    // MARK: - Time

    /// Proxy time: nanoseconds since the start, from the monotonic clock.
    func now() -> Timestamp {
        Timestamp(nanoseconds: NIODeadline.now().uptimeNanoseconds &- startUptime)
    }

    private func deadline(_ time: Timestamp) -> NIODeadline {
        let (uptime, overflow) = startUptime.addingReportingOverflow(time.nanoseconds)
        return overflow ? .distantFuture : .uptimeNanoseconds(uptime)
    }

    // MARK: - Datagrams

    /// A datagram from a client: find or open its flow, then impair and forward it upstream.
    func receiveFromClient(_ payload: ByteBuffer, from client: SocketAddress) {
        guard !isShutDown else { return }
        let now = now()
        let flow: Flow
        if let existing = flows[client], !existing.isClosed {
            flow = existing
        } else if let opened = openFlow(for: client, now: now) {
            flow = opened
        } else {
            up.recordRefused(size: payload.readableBytes)
            return
        }
        flow.lastActivity = now
        let queueDrops = up.statistics.dropped.queueFull + up.statistics.dropped.delayLineFull
        up.submit(payload, to: client, at: now, due: &due)
        logQueueDrops(.up, before: queueDrops)
        deliverDue(.up)
        armTimer(.up)
    }

    /// A reply from the upstream on `flow`'s socket: impair and forward it to the client.
    func receiveFromUpstream(_ payload: ByteBuffer, flow: Flow) {
        guard !isShutDown, !flow.isClosed else { return }
        let now = now()
        flow.lastActivity = now
        let queueDrops = down.statistics.dropped.queueFull + down.statistics.dropped.delayLineFull
        down.submit(payload, to: flow.client, at: now, due: &due)
        logQueueDrops(.down, before: queueDrops)
        deliverDue(.down)
        armTimer(.down)
    }

    /// Logs (throttled) if the datagram just submitted in `direction` was dropped because the
    /// rate queue or the delay line was full.
    private func logQueueDrops(_ direction: ProxyDirection, before: Int) {
        let drops = direction == .up ? up.statistics.dropped : down.statistics.dropped
        guard drops.queueFull + drops.delayLineFull > before else { return }
        let link = direction == .up ? up.impairments.link : down.impairments.link
        let held = direction == .up ? up.delayLineCount : down.delayLineCount
        logThrottled(
            .queueFull,
            "\(direction): queue full, dropping (rate \(link.bandwidth.map { "\($0) B/s" } ?? "unlimited"), "
                + "queue \(link.queueCapacity) B, delay line \(held) datagrams)")
    }

    /// Writes what `due` holds for `direction`, then empties it.
    private func deliverDue(_ direction: ProxyDirection) {
        guard !due.isEmpty else { return }
        for (payload, client) in due {
            switch direction {
            case .up: sendUpstream(payload, client: client)
            case .down: sendToClient(payload, client: client)
            }
        }
        due.removeAll(keepingCapacity: true)
    }

    private func sendUpstream(_ payload: ByteBuffer, client: SocketAddress) {
        guard let flow = flows[client], !flow.isClosed else {
            up.statistics.dropped.sendFailed += 1
            return
        }
        guard let channel = flow.channel else {
            if flow.backlog.count < configuration.flowBacklogCapacity {
                flow.backlog.append(payload)
            } else {
                up.statistics.dropped.sendFailed += 1
                logThrottled(.backlogFull, "flow \(client.displayText): upstream socket still opening and its backlog is full; dropping")
            }
            return
        }
        write(payload, to: channel, envelope: nil, direction: .up)
        if !flow.needsFlush {
            flow.needsFlush = true
            flowsNeedingFlush.append(flow)
        }
    }

    private func sendToClient(_ payload: ByteBuffer, client: SocketAddress) {
        guard let channel = listenChannel else {
            down.statistics.dropped.sendFailed += 1
            return
        }
        write(payload, to: channel, envelope: client, direction: .down)
        listenNeedsFlush = true
    }

    /// Writes one datagram (to `envelope`'s address on the unconnected listening socket, or
    /// plainly on a connected upstream socket) and counts the outcome when the write completes.
    private func write(
        _ payload: ByteBuffer, to channel: any Channel, envelope: SocketAddress?,
        direction: ProxyDirection
    ) {
        let size = payload.readableBytes
        let promise = eventLoop.makePromise(of: Void.self)
        pendingWrites[direction, default: 0] += 1
        promise.futureResult.assumeIsolated().whenComplete { result in
            self.pendingWrites[direction, default: 0] -= 1
            switch result {
            case .success:
                self.withPipeline(direction) {
                    $0.statistics.forwarded += 1
                    $0.statistics.forwardedBytes += size
                }
            case let .failure(error):
                self.withPipeline(direction) { $0.statistics.dropped.sendFailed += 1 }
                self.logThrottled(.sendFailed, "\(direction) write of \(size) B failed: \(Self.describe(error))")
            }
        }
        if let envelope {
            channel.write(AddressedEnvelope(remoteAddress: envelope, data: payload), promise: promise)
        } else {
            channel.write(payload, promise: promise)
        }
    }

    /// Flushes every socket written to since the last flush.
    func flushWrites() {
        if listenNeedsFlush, let listenChannel {
            listenNeedsFlush = false
            listenChannel.flush()
        }
        if !flowsNeedingFlush.isEmpty {
            for flow in flowsNeedingFlush {
                flow.needsFlush = false
                flow.channel?.flush()
            }
            flowsNeedingFlush.removeAll(keepingCapacity: true)
        }
    }

    private func withPipeline(_ direction: ProxyDirection, _ body: (inout DirectionPipeline<SocketAddress>) -> Void) {
        switch direction {
        case .up: body(&up)
        case .down: body(&down)
        }
    }

    // MARK: - Timers

    /// Makes sure `direction`'s timer fires when its earliest held datagram is due.
    private func armTimer(_ direction: ProxyDirection) {
        let next = direction == .up ? up.nextArrival : down.nextArrival
        guard let next, !isShutDown else { return }
        if let current = timers[direction] {
            if current.deadline <= next { return }
            current.task.cancel()
        }
        let task = eventLoop.assumeIsolated().scheduleTask(deadline: deadline(next)) {
            self.timerFired(direction)
        }
        timers[direction] = (next, task)
    }

    private func timerFired(_ direction: ProxyDirection) {
        timers[direction] = nil
        guard !isShutDown else { return }
        let now = now()
        withPipeline(direction) { $0.releaseDue(now: now, due: &due) }
        deliverDue(direction)
        flushWrites()
        armTimer(direction)
    }

    // MARK: - Flows

    private func openFlow(for client: SocketAddress, now: Timestamp) -> Flow? {
        guard flows.count < configuration.maximumFlows else {
            flowStatistics.refused += 1
            logThrottled(
                .flowLimit,
                "flow table full (\(configuration.maximumFlows) flows): refusing new client \(client.displayText)")
            return nil
        }
        let flow = Flow(client: client, now: now)
        flows[client] = flow
        flowStatistics.opened += 1
        openSocket(for: flow)
        if flowSweepNeeded { scheduleSweep() }
        return flow
    }

    /// Opens an upstream socket (a new local port) for `flow`, for its current socket generation.
    private func openSocket(for flow: Flow) {
        let generation = flow.socketGeneration
        let boundCore = NIOLoopBound(self, eventLoop: eventLoop)
        let boundFlow = NIOLoopBound(flow, eventLoop: eventLoop)
        let bufferSize = SocketOptionValue(clamping: configuration.socketBufferSize)
        DatagramBootstrap(group: eventLoop)
            .channelOption(.socketOption(.so_rcvbuf), value: bufferSize)
            .channelOption(.socketOption(.so_sndbuf), value: bufferSize)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
            .channelOption(.maxMessagesPerRead, value: 16)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        UpstreamHandler(core: boundCore.value, flow: boundFlow.value, generation: generation))
                }
            }
            .connect(to: upstreamAddress)
            .assumeIsolated()
            .whenComplete { result in
                guard flow.socketGeneration == generation else {
                    // Rebound again while this socket opened: a newer one takes over.
                    if case let .success(channel) = result { channel.close(promise: nil) }
                    return
                }
                switch result {
                case let .success(channel):
                    self.flowSocketOpened(flow, channel: channel, rebound: generation > 0)
                case let .failure(error):
                    self.flowFailed(flow, reason: "could not open an upstream socket: \(error)")
                }
            }
    }

    private func flowSocketOpened(_ flow: Flow, channel: any Channel, rebound: Bool) {
        if flow.isClosed || isShutDown {
            channel.close(promise: nil)
            return
        }
        flow.channel = channel
        if rebound {
            flowStatistics.rebound += 1
            logger.info(
                "flow \(flow.client.displayText): upstream socket rebound to local port \(channel.localAddress?.port.map { "\($0)" } ?? "?")"
            )
        }
        let backlog = flow.backlog
        flow.backlog = []
        for payload in backlog {
            write(payload, to: channel, envelope: nil, direction: .up)
        }
        if !backlog.isEmpty { channel.flush() }
    }

    /// Gives the flows of `client` (nil: every flow) a new upstream socket, as a NAT whose
    /// mapping changed: the old socket closes at once (replies still on their way to it are
    /// lost), datagrams from the client wait in the flow's backlog while the new one opens, and
    /// from then on the upstream sees the client from a new source port. Returns how many flows
    /// are being rebound.
    func rebind(_ client: SocketAddress?) -> Int {
        let targets: [Flow]
        if let client {
            targets = flows[client].map { [$0] } ?? []
        } else {
            targets = Array(flows.values)
        }
        var count = 0
        for flow in targets where !flow.isClosed {
            flow.socketGeneration += 1
            if flow.needsFlush { flow.channel?.flush() }
            flow.channel?.close(promise: nil)
            flow.channel = nil
            openSocket(for: flow)
            count += 1
        }
        return count
    }

    /// Closes a flow whose socket failed; its backlog is counted as dropped.
    private func flowFailed(_ flow: Flow, reason: String) {
        guard !flow.isClosed else { return }
        logThrottled(.flowFailed, "flow \(flow.client.displayText): \(reason)")
        flowStatistics.failed += 1
        close(flow)
    }

    private func close(_ flow: Flow) {
        flow.isClosed = true
        up.statistics.dropped.sendFailed += flow.backlog.count
        flow.backlog = []
        if flows[flow.client] === flow { flows[flow.client] = nil }
        flow.channel?.close(promise: nil)
        flow.channel = nil
    }

    func upstreamError(_ error: any Error, flow: Flow) {
        flowStatistics.upstreamErrors += 1
        logThrottled(
            .upstreamError, "upstream \(upstreamAddress.displayText) for client \(flow.client.displayText): \(Self.describe(error))")
    }

    func upstreamClosed(flow: Flow) {
        flowFailed(flow, reason: "upstream socket closed")
    }

    func listenError(_ error: any Error) {
        logThrottled(.listenError, "listening socket: \(Self.describe(error))")
    }

    private var flowSweepNeeded: Bool { sweepTask == nil && !flows.isEmpty && !isShutDown }

    /// Checks for idle flows a few times per idle timeout (at most once a second).
    private func scheduleSweep() {
        let quarter = configuration.idleTimeout.nanosecondsClamped / 4
        let period = TimeAmount.nanoseconds(Int64(min(max(quarter, 10_000_000), 1_000_000_000)))
        sweepTask = eventLoop.assumeIsolated().scheduleTask(in: period) {
            self.sweepTask = nil
            self.expireIdleFlows()
            if self.flowSweepNeeded { self.scheduleSweep() }
        }
    }

    private func expireIdleFlows() {
        let now = now()
        let timeout = configuration.idleTimeout.nanosecondsClamped
        let idle = flows.values.filter { now.nanoseconds(since: $0.lastActivity) >= timeout }
        for flow in idle {
            flowStatistics.expired += 1
            close(flow)
        }
        if !idle.isEmpty {
            logger.debug("expired \(idle.count) idle flow(s); \(flows.count) active")
        }
    }

    // MARK: - Control

    var impairments: ProxyImpairments {
        ProxyImpairments(up: up.impairments, down: down.impairments)
    }

    func update(_ impairments: ProxyImpairments) {
        up.update(impairments.up)
        down.update(impairments.down)
        logger.info("impairments updated\n\(impairments)")
    }

    func partition(for duration: Duration, directions: ProxyDirections) {
        let until = now().adding(nanoseconds: duration.nanosecondsClamped)
        if directions.includes(.up) { up.partitionedUntil = max(up.partitionedUntil ?? .zero, until) }
        if directions.includes(.down) { down.partitionedUntil = max(down.partitionedUntil ?? .zero, until) }
        logger.info("partition for \(duration) (\(directions.includes(.up) ? "up" : "")\(directions.includes(.down) ? " down" : ""))")
    }

    func heal() {
        up.partitionedUntil = nil
        down.partitionedUntil = nil
    }

    func statistics() -> ProxyStatistics {
        let now = now()
        var snapshot = ProxyStatistics()
        snapshot.uptime = Double(now.nanoseconds) / 1e9
        snapshot.up = up.statistics
        snapshot.down = down.statistics
        snapshot.up.queuedBytes = up.queuedBytes(at: now)
        snapshot.down.queuedBytes = down.queuedBytes(at: now)
        let backlog = flows.values.reduce(0) { $0 + $1.backlog.count }
        snapshot.up.held = up.delayLineCount + backlog + pendingWrites[.up, default: 0]
        snapshot.down.held = down.delayLineCount + pendingWrites[.down, default: 0]
        snapshot.flows = flowStatistics
        snapshot.flows.active = flows.count
        return snapshot
    }

    /// Stops timers and closes every socket; returns when they are closed.
    func shutdown() -> EventLoopFuture<Void> {
        guard !isShutDown else { return eventLoop.makeSucceededVoidFuture() }
        isShutDown = true
        for timer in timers.values { timer.task.cancel() }
        timers = [:]
        sweepTask?.cancel()
        sweepTask = nil
        flushWrites()
        var closing: [EventLoopFuture<Void>] = []
        for flow in flows.values {
            flow.isClosed = true
            if let channel = flow.channel { closing.append(channel.close()) }
        }
        flows = [:]
        if let listenChannel { closing.append(listenChannel.close()) }
        return EventLoopFuture.andAllComplete(closing, on: eventLoop)
    }

    // MARK: - Logging

    /// A socket error in words: for a system error its reason and number ("Connection refused
    /// (errno 111)"; NIO's own description of an `so_error` has a stray parenthesis).
    static func describe(_ error: any Error) -> String {
        guard let ioError = error as? IOError else { return "\(error)" }
        return "\(String(cString: strerror(ioError.errnoCode))) (errno \(ioError.errnoCode))"
    }

    private func logThrottled(_ kind: LogThrottle.Kind, _ message: @autoclosure () -> String) {
        let now = now()
        guard let suppressed = logThrottle.shouldLog(kind, at: now) else { return }
        let suffix = suppressed > 0 ? " (\(suppressed) similar message(s) suppressed)" : ""
        logger.warning("\(message())\(suffix)")
    }
}
