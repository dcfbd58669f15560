import DequeModule
import NIOCore
import RUDPCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The sending end of the raw-UDP baseline of `rudp bench --baseline` (``RawDatagramPath``):
/// each message leaves as one datagram, with no header, no acknowledgement, no retransmission.
///
/// It runs the protocol's path with the engine taken out: ``send(_:)`` queues into a
/// ``ConnectionMailbox`` exactly as ``RUDPConnection/send(_:channel:mode:)-(ByteBuffer,_,_)`` does (same budget,
/// same back-pressure, same hop to the event loop), and the loop writes what it takes through a
/// ``DatagramBatch`` (one copy into the socket's buffer, GSO runs, one flush per step), as
/// ``EndpointDriver`` does with the engine's output.
///
/// The send budget (``ConnectionConfiguration/sendBufferMessages`` and `sendBufferBytes`) counts
/// the messages the receiving loop has not yet read, the stand-in for "not yet acknowledged": the
/// receiver stores the highest sequence number it read in ``RawDatagramAcknowledgements``, which
/// this loop reads whenever it runs; it asks for a hop from the receiving loop only while a task
/// waits for room or for everything to be acknowledged. Messages must carry the
/// bench's stamp: a sequence number counting from 0 in bytes 8..<16. A datagram not read
/// ``lossTimeout`` after the last progress counts as lost (loopback rarely loses any).
///
/// Every property is confined to `eventLoop` (hence `@unchecked Sendable`); the application
/// calls only ``send(_:)`` and ``waitUntilAllAcknowledged()``, which go through the mailbox.
package final class RawDatagramSender: @unchecked Sendable {
    /// The default of ``lossTimeout``: 1 s.
    package static let defaultLossTimeout = TimeAmount.seconds(1)
    /// How often outstanding datagrams are checked for ``lossTimeout``.
    static let stallCheckInterval = TimeAmount.milliseconds(100)

    let eventLoop: any EventLoop
    let mailbox: ConnectionMailbox
    /// The largest message: one datagram of the configuration's `maxDatagramSize`.
    package let maximumMessageSize: Int
    /// Nothing read for this long while datagrams are outstanding: they count as lost.
    package let lossTimeout: TimeAmount

    private let destination: SocketAddress
    private let acknowledgements: RawDatagramAcknowledgements
    private var addresses = SocketAddressCache()
    private let allocator = ByteBufferAllocator()
    private var context: ChannelHandlerContext?
    private var queue: RawDatagramQueue
    private var outgoing: DatagramBatch
    private var segmentationFailed = false
    private var isClosed = false
    /// Sizes of the messages taken from the mailbox and not yet read by the receiver, oldest first.
    private var unacknowledgedSizes: Deque<Int> = []
    private var unacknowledgedBytes = 0
    /// Messages taken from the mailbox: the sequence number of the next one.
    private var handedOver: UInt64 = 0
    /// Every message below this sequence number was read by the receiver or counted as lost.
    private var acknowledged: UInt64 = 0
    /// waitUntilAllAcknowledged waiters: resumed once `acknowledged` reaches `through`.
    private var barriers: Deque<(through: UInt64, token: UInt64)> = []
    private var resolutions: [(token: UInt64, result: Result<Void, any Error>)] = []
    private var movedMessages = 0
    private var movedBytes = 0
    private var stallTimer: Scheduled<Void>?
    private var lastProgress = NIODeadline.now()
    /// Datagrams handed to the socket.
    private(set) var datagramsSent = 0
    /// Datagrams counted as lost (not read within ``lossTimeout``).
    private(set) var datagramsLost = 0

    init(
        eventLoop: any EventLoop, configuration: ConnectionConfiguration, destination: SocketAddress, peer: PeerAddress,
        acknowledgements: RawDatagramAcknowledgements, lossTimeout: TimeAmount = RawDatagramSender.defaultLossTimeout,
        segmentationOffload: Bool = true
    ) {
        self.outgoing = DatagramBatch(usesSegmentation: segmentationOffload)
        self.eventLoop = eventLoop
        self.lossTimeout = lossTimeout
        self.acknowledgements = acknowledgements
        self.destination = destination
        self.maximumMessageSize = configuration.maxDatagramSize
        self.queue = RawDatagramQueue(destination: peer)
        self.addresses.remember(destination, as: peer)
        self.mailbox = ConnectionMailbox(configuration: configuration, messageLimit: configuration.maxDatagramSize, channelCount: 1)
        mailbox.connected(messageLimit: configuration.maxDatagramSize, channelCount: 1)
    }

    /// Whether datagrams leave as UDP GSO writes (false once a segmented write failed).
    var usesSegmentation: Bool { outgoing.usesSegmentation && !segmentationFailed }

    // MARK: - Application side

    /// Queues `bytes` to leave as one datagram; suspends while the send budget is full, as
    /// ``RUDPConnection/send(_:channel:mode:)-(ByteBuffer,_,_)`` does. Throws ``RUDPError`` with code
    /// `messageTooLarge` beyond ``maximumMessageSize``, `invalidArgument` for an empty message,
    /// `connectionClosed` once the path is closed.
    package nonisolated(nonsending) func send(_ bytes: ByteBuffer) async throws {
        guard bytes.readableBytes > 0 else { throw RUDPError(.invalidArgument, "a raw datagram needs at least one byte") }
        let message = QueuedMessage(bytes: bytes, channel: 0, mode: .reliableOrdered, acknowledgementToken: nil)
        while true {
            let outcome = try mailbox.tryEnqueue(message)
            if outcome.queued {
                if outcome.drain { scheduleDrain() }
                return
            }
            try await waitForRoom(bytes.readableBytes)
        }
    }

    /// Queues a copy of `bytes` (a convenience for tests; the benchmark sends buffers).
    package nonisolated(nonsending) func send(_ bytes: [UInt8]) async throws {
        try await send(ByteBuffer(bytes: bytes))
    }

    /// Suspends until the receiver read every message sent so far (or they counted as lost).
    package nonisolated(nonsending) func waitUntilAllAcknowledged() async throws {
        try await mailbox.suspend(drain: { [self] in scheduleDrain() }) { s, token in
            if s.closeReason != nil {
                return .finish(s.failure.map { .failure($0) } ?? .success(()))
            }
            s.commands.append(.barrier(token: token))
            return mailbox.needsDrain(&s) ? .waitAndDrain : .wait
        }
    }

    private nonisolated(nonsending) func waitForRoom(_ size: Int) async throws {
        try await mailbox.suspend(drain: { [self] in scheduleDrain() }) { s, token in
            if s.closeReason != nil || s.closeRequested || s.abortRequested { return .finish(.failure(s.closedError)) }
            if mailbox.hasRoom(s, for: size) { return .finish(.success(())) }
            s.roomWaiters.append(token)
            // The loop asks the receiver for a wake-up only while someone waits: tell it.
            return mailbox.needsDrain(&s) ? .waitAndDrain : .wait
        }
    }

    private func scheduleDrain() {
        eventLoop.execute { [self] in drain() }
    }

    // MARK: - Loop side

    func channelActive(_ context: ChannelHandlerContext) {
        self.context = context
    }

    func channelInactive() {
        context = nil
        close(error: RUDPError(.connectionClosed, "the baseline's socket was closed"))
    }

    /// Fails every waiter and stops the stall checks (on the loop).
    func close(error: RUDPError?) {
        guard !isClosed else { return }
        isClosed = true
        stallTimer?.cancel()
        stallTimer = nil
        let failure: any Error = error ?? RUDPError.closedLocally
        for barrier in barriers { resolutions.append((barrier.token, .failure(failure))) }
        barriers.removeAll()
        mailbox.close(
            reason: error == nil ? .closedLocally : .aborted, error: error, statistics: ConnectionStatistics(),
            delivered: [], resolutions: resolutions)
        resolutions.removeAll()
    }

    /// Takes the mailbox's messages, writes them and flushes once, then publishes the budget.
    private func drain() {
        guard !isClosed else { return }
        let (commands, _) = mailbox.takeCommands()
        for command in commands {
            switch command {
            case .message(let message):
                queue.append(message.bytes)
                if unacknowledgedSizes.isEmpty { lastProgress = .now() }
                unacknowledgedSizes.append(message.bytes.readableBytes)
                unacknowledgedBytes += message.bytes.readableBytes
                handedOver += 1
                movedMessages += 1
                movedBytes += message.bytes.readableBytes
            case .barrier(let token):
                barriers.append((handedOver, token))
            }
        }
        transmit()
        publish()
    }

    private func transmit() {
        outgoing.recycle()
        guard let context else {
            queue = RawDatagramQueue(destination: queue.destination)  // socket gone: discard
            return
        }
        let (datagrams, _) = outgoing.fill(maximumDatagramSize: maximumMessageSize, addresses: &addresses, allocator: allocator) {
            buffer, segments in
            queue.poll(into: buffer, maxSegments: segments)
        }
        datagramsSent += datagrams
        guard !outgoing.isEmpty else { return }
        if segmentationFailed { outgoing.usesSegmentation = false }
        outgoing.write(to: context) { [self] error in
            // On the loop, possibly inside the write: only set a flag, applied before the next one.
            if !segmentationFailed && !isClosed { segmentationFailed = true }
        }
        context.flush()
    }

    /// The receiving loop woke this one, as asked: take what it read and publish (on this loop).
    func collectAcknowledgements() {
        guard !isClosed else { return }
        publish()
    }

    /// Takes what the receiver has read so far; returns whether that freed anything.
    @discardableResult
    private func takeAcknowledgements() -> Bool {
        let newest = min(acknowledgements.through.load(ordering: .sequentiallyConsistent), handedOver)
        guard newest > acknowledged else { return false }
        while acknowledged < newest, let size = unacknowledgedSizes.popFirst() {
            unacknowledgedBytes -= size
            acknowledged += 1
        }
        lastProgress = .now()
        return true
    }

    /// Takes the receiver's progress, resolves the barriers that are due, hands the budget's level
    /// and the results to the mailbox, asks for a wake-up while a task waits for the receiver,
    /// and keeps the stall check armed while datagrams are outstanding.
    private func publish() {
        takeAcknowledgements()
        while true {
            while let barrier = barriers.first, barrier.through <= acknowledged {
                barriers.removeFirst()
                resolutions.append((barrier.token, .success(())))
            }
            var statistics = ConnectionStatistics()
            statistics.sendBufferMessages = unacknowledgedSizes.count
            statistics.sendBufferBytes = unacknowledgedBytes
            let (_, sendersWaiting) = mailbox.publish(
                statistics: statistics, moved: (movedMessages, movedBytes), delivered: [],
                resolutions: resolutions)
            movedMessages = 0
            movedBytes = 0
            resolutions.removeAll(keepingCapacity: true)
            guard sendersWaiting || !barriers.isEmpty else { break }
            acknowledgements.wanted.store(true, ordering: .sequentiallyConsistent)
            // A batch read before the flag was set did not see it: look once more.
            guard takeAcknowledgements() else { break }
        }
        if !unacknowledgedSizes.isEmpty && stallTimer == nil {
            stallTimer = eventLoop.scheduleTask(in: Self.stallCheckInterval) { [self] in checkStall() }
        }
    }

    private func checkStall() {
        stallTimer = nil
        guard !isClosed, !unacknowledgedSizes.isEmpty else { return }
        if !takeAcknowledgements() && NIODeadline.now() - lastProgress >= lossTimeout {
            datagramsLost += unacknowledgedSizes.count
            unacknowledgedSizes.removeAll()
            unacknowledgedBytes = 0
            acknowledged = handedOver
            lastProgress = .now()
        }
        publish()
    }
}

extension RawDatagramSender: DatagramChannelDriver {
    func channelRead(_ envelope: AddressedEnvelope<ByteBuffer>) {}  // the sender reads nothing
    func channelReadComplete() {}
}
