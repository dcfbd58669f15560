import DequeModule
import RUDPCore
import Synchronization

/// The part of a connection that application tasks and the event loop share, behind one lock.
///
/// Application tasks queue commands and take received messages without a thread hop; the event
/// loop moves commands into the engine and delivered messages out of it once per batch. Every
/// suspension is a waiter registered under a token, resumed by the loop (or by cancellation).
final class ConnectionMailbox: Sendable {
    /// The waiter of a suspended application call.
    typealias Waiter = CheckedContinuation<Void, any Error>
    /// Unsafe rather than checked: every idle connection has one, and the checked kind costs
    /// an allocation each. Each is resumed exactly once, under the rules of this class.
    typealias Consumer = UnsafeContinuation<ReceivedMessage?, any Error>

    /// The statistics a closed connection keeps, boxed: only closed connections need them.
    final class FinalStatistics: Sendable {
        let value: ConnectionStatistics
        init(_ value: ConnectionStatistics) { self.value = value }
    }

    struct State {
        // Outgoing
        var commands: Deque<OutgoingCommand> = []
        /// Messages (and bytes) queued but not yet in the engine's send buffer.
        var queuedMessages = 0
        var queuedBytes = 0
        /// The engine's send buffer, as last published by the event loop (never below the truth).
        var engineMessages = 0
        var engineBytes = 0
        var drainScheduled = false
        var roomWaiters: Deque<UInt64> = []
        var closeRequested = false
        var abortRequested = false
        /// The reason text of the CLOSE an abort sends (empty: none).
        var abortReason = ""
        var isConnected = false
        /// Largest message either side accepts, and the negotiated channel count.
        var messageLimit: Int
        var channelCount: UInt8
        // Incoming
        var inbound: Deque<ReceivedMessage> = []
        var consumer: (token: UInt64, continuation: Consumer)?
        var toRelease: [ReceivedMessage] = []
        var toReleaseBytes = 0
        var releaseScheduled = false
        // Dispatch (RUDPServer.serveMessages)
        /// Wakes the server's dispatcher for this connection; nil unless it is dispatched.
        var dispatch: (@Sendable () -> Void)?
        /// Whether a dispatch task is scheduled or running for this connection.
        var dispatchScheduled = false
        // Lifecycle
        var closeReason: CloseReason?
        /// What ends the message stream and fails later calls; nil after a clean close.
        var failure: RUDPError?
        /// The connection's last statistics, once it has closed.
        var finalStatistics: FinalStatistics?
        // Waiters
        var waiters: [UInt64: Waiter] = [:]
        var connectWaiters: [UInt64] = []
        /// Waiters of close() and abort(): they succeed when the connection ends cleanly.
        var closeWaiters: [UInt64] = []
        var nextToken: UInt64 = 1

        mutating func makeToken() -> UInt64 {
            defer { nextToken += 1 }
            return nextToken
        }

        /// The error for a call made once the connection is closed or closing.
        var closedError: RUDPError {
            if let failure { return failure }
            if closeReason?.code == .peerClosed { return RUDPError(.peerClosed, "the peer closed the connection") }
            return .closedLocally
        }
    }

    let state: Mutex<State>
    let sendBufferMessages: Int
    let sendBufferBytes: Int
    /// Blocked senders are resumed once the send buffer is down to these levels.
    let roomWakeMessages: Int
    let roomWakeBytes: Int
    /// Credit is returned to the engine in batches of at least this many bytes (or when the
    /// consumer has caught up).
    let releaseThreshold: Int
    /// Credit held back while the consumer waits must stay below this: with messages up to half
    /// the window, holding back an eighth never stalls the peer (the engine itself holds back up
    /// to a quarter); with larger messages, everything is returned before waiting.
    let idleReleaseThreshold: Int

    init(configuration: ConnectionConfiguration, messageLimit: Int, channelCount: UInt8) {
        state = Mutex(State(messageLimit: messageLimit, channelCount: channelCount))
        sendBufferMessages = configuration.sendBufferMessages
        sendBufferBytes = configuration.sendBufferBytes
        roomWakeMessages = configuration.sendBufferMessages - max(1, configuration.sendBufferMessages / 4)
        roomWakeBytes = configuration.sendBufferBytes - configuration.sendBufferBytes / 4
        releaseThreshold = max(1, configuration.receiveWindow / 8)
        idleReleaseThreshold = configuration.maxMessageSize <= configuration.receiveWindow / 2 ? releaseThreshold : 1
    }

    /// Whether a message of `size` bytes fits in the send buffer budget now.
    func hasRoom(_ s: State, for size: Int) -> Bool {
        let messages = s.queuedMessages + s.engineMessages
        let bytes = s.queuedBytes + s.engineBytes
        if messages == 0 { return true }
        return messages < sendBufferMessages && bytes + size <= sendBufferBytes
    }

    /// What a suspending call decided under the lock.
    enum Registration {
        /// Finish now with this result.
        case finish(Result<Void, any Error>)
        /// Wait for the loop to resume the token.
        case wait
        /// Wait, and tell the loop there are new commands.
        case waitAndDrain
    }

    /// Suspends until the loop resumes the waiter registered by `register`, which runs under the
    /// lock with the waiter's token. Cancellation resumes the waiter with `CancellationError`.
    nonisolated(nonsending) func suspend(drain: @Sendable () -> Void, _ register: (inout State, UInt64) -> Registration) async throws {
        let token = state.withLock { $0.makeToken() }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: Waiter) in
                let registration: Registration = state.withLock { s in
                    if Task.isCancelled { return .finish(.failure(CancellationError())) }
                    let registration = register(&s, token)
                    switch registration {
                    case .finish: break
                    case .wait, .waitAndDrain: s.waiters[token] = continuation
                    }
                    return registration
                }
                switch registration {
                case .finish(let result): continuation.resume(with: result)
                case .wait: break
                case .waitAndDrain: drain()
                }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: token) }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Takes the next received message, suspending until one arrives; nil once the connection
    /// closed cleanly. Calls `scheduleRelease` when the loop should return credit to the engine
    /// without waiting for its next delivery to this connection.
    nonisolated(nonsending) func nextMessage(scheduleRelease: @Sendable () -> Void) async throws -> ReceivedMessage? {
        // A message already handed over (the loop publishes a batch at a time) is taken under
        // one lock, without a cancellation handler or a continuation.
        let taken: (message: ReceivedMessage, schedule: Bool)? = state.withLock { s in
            guard let message = s.inbound.popFirst() else { return nil }
            return (message, noteTaken(&s, message))
        }
        if let taken {
            if taken.schedule { scheduleRelease() }
            return taken.message
        }
        let token = state.withLock { $0.makeToken() }
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (continuation: Consumer) in
                var schedule = false
                let immediate: Result<ReceivedMessage?, any Error>? = state.withLock { s in
                    if let message = s.inbound.popFirst() {
                        schedule = noteTaken(&s, message)
                        return .success(message)
                    }
                    if s.closeReason != nil {
                        if let failure = s.failure { return .failure(failure) }
                        return .success(nil)
                    }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if s.consumer != nil {
                        return .failure(RUDPError(.invalidArgument, "messages has a single consumer; another task is already waiting"))
                    }
                    s.consumer = (token, continuation)
                    // Credit taken so far normally rides along with the next delivery; return it
                    // now only if holding it back could stall a peer that waits for window.
                    if !s.releaseScheduled && s.toReleaseBytes > 0 && s.toReleaseBytes >= idleReleaseThreshold {
                        s.releaseScheduled = true
                        schedule = true
                    }
                    return nil
                }
                if schedule { scheduleRelease() }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            let consumer: Consumer? = state.withLock { s in
                guard let c = s.consumer, c.token == token else { return nil }
                s.consumer = nil
                return c.continuation
            }
            consumer?.resume(throwing: CancellationError())
        }
    }

    /// Records that the application took `message`; returns whether to schedule a credit release.
    /// A caller that gets true must schedule it: `releaseScheduled` stays set until the loop's
    /// ``takeReleases()``, and while it is set no take schedules another.
    func noteTaken(_ s: inout State, _ message: ReceivedMessage) -> Bool {
        guard s.closeReason == nil else { return false }
        s.toRelease.append(message)
        s.toReleaseBytes += message.buffer.readableBytes
        if !s.releaseScheduled && s.toReleaseBytes >= releaseThreshold {
            s.releaseScheduled = true
            return true
        }
        return false
    }

    // MARK: - Application side

    /// Whether `message` may be queued now: nil if yes, else the error to throw.
    func validate(_ s: State, size: Int, channel: UInt8) -> RUDPError? {
        if s.closeReason != nil || s.closeRequested || s.abortRequested { return s.closedError }
        if size > s.messageLimit {
            return RUDPError(.messageTooLarge, "message of \(size) bytes exceeds the limit of \(s.messageLimit) bytes")
        }
        if channel >= s.channelCount {
            return RUDPError(.invalidArgument, "channel \(channel) is not below the channel count \(s.channelCount)")
        }
        return nil
    }

    /// Marks that the loop must drain the commands; returns whether the caller must schedule it.
    func needsDrain(_ s: inout State) -> Bool {
        if s.drainScheduled { return false }
        s.drainScheduled = true
        return true
    }

    /// Queues a message if the send buffer budget has room; returns whether it was queued
    /// (and whether the caller must schedule a drain). Throws if it can never be queued.
    func tryEnqueue(_ message: QueuedMessage) throws(RUDPError) -> (queued: Bool, drain: Bool) {
        try state.withLock { (s) throws(RUDPError) -> (queued: Bool, drain: Bool) in
            if let error = validate(s, size: message.bytes.readableBytes, channel: message.channel) { throw error }
            guard hasRoom(s, for: message.bytes.readableBytes) else { return (false, false) }
            s.commands.append(.message(message))
            s.queuedMessages += 1
            s.queuedBytes += message.bytes.readableBytes
            return (true, needsDrain(&s))
        }
    }

    /// Whether the application asked to close and every command it queued before has been
    /// taken (so the engine may be told: it refuses sends after close).
    var isCloseDue: Bool { state.withLock { $0.closeRequested && $0.commands.isEmpty } }

    // MARK: - Loop side

    /// The handshake finished: record the negotiated limits and resume connect waiters.
    func connected(messageLimit: Int, channelCount: UInt8) {
        let waiters: [Waiter] = state.withLock { s in
            s.isConnected = true
            s.messageLimit = messageLimit
            s.channelCount = channelCount
            let tokens = s.connectWaiters
            s.connectWaiters.removeAll()
            return tokens.compactMap { s.waiters.removeValue(forKey: $0) }
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Takes the queued commands, and the reason of the abort if one was requested.
    func takeCommands() -> (commands: Deque<OutgoingCommand>, abortReason: String?) {
        state.withLock { s in
            s.drainScheduled = false
            let commands = s.commands
            s.commands.removeAll()
            return (commands, s.abortRequested ? s.abortReason : nil)
        }
    }

    /// Puts back at the head of the queue the commands the engine refused for now (send buffer
    /// full), ahead of any queued since ``takeCommands()``: the loop keeps no copy of them and
    /// takes them again once the engine reports room.
    func putBack(_ refused: Deque<OutgoingCommand>) {
        guard !refused.isEmpty else { return }
        state.withLock { s in
            if s.commands.isEmpty {
                s.commands = refused
            } else {
                s.commands.prepend(contentsOf: refused)
            }
        }
    }

    /// Takes the messages the application consumed since the last release.
    func takeReleases() -> [ReceivedMessage] {
        state.withLock { s in
            s.releaseScheduled = false
            s.toReleaseBytes = 0
            let messages = s.toRelease
            s.toRelease.removeAll()
            return messages
        }
    }

    /// Hands over one batch: the engine's send-buffer level, messages moved out of the queue,
    /// delivered messages and settled waiters. Returns the messages whose credit the engine
    /// should get back (the application took them), and whether senders still wait for room.
    func publish(
        statistics: ConnectionStatistics, moved: (messages: Int, bytes: Int), delivered: [ReceivedMessage],
        resolutions: [(token: UInt64, result: Result<Void, any Error>)]
    ) -> (releases: [ReceivedMessage], sendersWaiting: Bool) {
        var resumed: [(Waiter, Result<Void, any Error>)] = []
        var handOver: (Consumer, ReceivedMessage)?
        var releases: [ReceivedMessage] = []
        var sendersWaiting = false
        var wake: (@Sendable () -> Void)?
        state.withLock { s in
            s.engineMessages = statistics.sendBufferMessages
            s.engineBytes = statistics.sendBufferBytes
            s.queuedMessages -= moved.messages
            s.queuedBytes -= moved.bytes
            if !delivered.isEmpty {
                s.inbound.append(contentsOf: delivered)
                if let consumer = s.consumer, let first = s.inbound.popFirst() {
                    s.consumer = nil
                    // Not noteTaken: its credit goes back with this publish (below), and a
                    // release marked as scheduled here would never run, so no later take
                    // would schedule one: credit would return only with the next delivery,
                    // and a sender blocked on it sends none (the stalled 10 MB lossy transfer).
                    s.toRelease.append(first)
                    s.toReleaseBytes += first.buffer.readableBytes
                    handOver = (consumer.continuation, first)
                } else if let dispatch = s.dispatch, !s.dispatchScheduled {
                    s.dispatchScheduled = true
                    wake = dispatch
                }
            }
            if !s.toRelease.isEmpty {
                releases = s.toRelease
                s.toRelease.removeAll()
                s.toReleaseBytes = 0
            }
            for (token, result) in resolutions {
                if let waiter = s.waiters.removeValue(forKey: token) { resumed.append((waiter, result)) }
            }
            // Wake blocked senders only once a quarter of the budget is free, so each wake-up
            // queues a batch rather than a message or two.
            if !s.roomWaiters.isEmpty
                && s.queuedMessages + s.engineMessages <= roomWakeMessages
                && s.queuedBytes + s.engineBytes <= roomWakeBytes
            {
                while let token = s.roomWaiters.popFirst() {
                    if let waiter = s.waiters.removeValue(forKey: token) { resumed.append((waiter, .success(()))) }
                }
            }
            sendersWaiting = !s.roomWaiters.isEmpty
        }
        if let (consumer, message) = handOver { consumer.resume(returning: message) }
        wake?()
        for (waiter, result) in resumed { waiter.resume(with: result) }
        return (releases, sendersWaiting)
    }

    /// The connection ended: record why, hand over the last deliveries, and resume every waiter.
    func close(
        reason: CloseReason, error: RUDPError?, statistics: ConnectionStatistics, delivered: [ReceivedMessage],
        resolutions: [(token: UInt64, result: Result<Void, any Error>)]
    ) {
        var resumed: [(Waiter, Result<Void, any Error>)] = []
        var handOver: (Consumer, Result<ReceivedMessage?, any Error>)?
        var wake: (@Sendable () -> Void)?
        state.withLock { s in
            s.closeReason = reason
            s.failure = error
            s.finalStatistics = FinalStatistics(statistics)
            s.inbound.append(contentsOf: delivered)
            s.toRelease.removeAll()
            s.commands.removeAll()
            for (token, result) in resolutions {
                if let waiter = s.waiters.removeValue(forKey: token) { resumed.append((waiter, result)) }
            }
            let closeResult: Result<Void, any Error> = error.map { .failure($0) } ?? .success(())
            for token in s.closeWaiters {
                if let waiter = s.waiters.removeValue(forKey: token) { resumed.append((waiter, closeResult)) }
            }
            s.closeWaiters.removeAll()
            s.connectWaiters.removeAll()
            s.roomWaiters.removeAll()
            let failure = s.closedError
            for waiter in s.waiters.values { resumed.append((waiter, .failure(failure))) }
            s.waiters.removeAll()
            if let consumer = s.consumer {
                s.consumer = nil
                if let first = s.inbound.popFirst() {
                    handOver = (consumer.continuation, .success(first))
                } else {
                    handOver = (consumer.continuation, error.map { .failure($0) } ?? .success(nil))
                }
            }
            if let dispatch = s.dispatch, !s.dispatchScheduled {
                s.dispatchScheduled = true
                wake = dispatch
            }
        }
        if let (consumer, result) = handOver { consumer.resume(with: result) }
        wake?()
        for (waiter, result) in resumed { waiter.resume(with: result) }
    }

    // MARK: - Dispatch (RUDPServer.serveMessages)

    /// What a dispatch task finds in the mailbox.
    enum Dispatched {
        /// The next message to handle.
        case message(ReceivedMessage)
        /// Nothing now: the next delivery (or the close) wakes the dispatcher again.
        case idle
        /// The connection closed and every message was taken (reported once).
        case ended
    }

    /// Hands this connection's messages to a dispatcher from now on, instead of a task waiting
    /// in ``nextMessage(scheduleRelease:)``: `wake` is called (outside the lock) whenever
    /// messages arrive and no dispatch task is scheduled, and once after the connection closed.
    func enableDispatch(_ wake: @escaping @Sendable () -> Void) {
        let wakeNow: Bool = state.withLock { s in
            s.dispatch = wake
            guard !s.inbound.isEmpty || s.closeReason != nil else { return false }
            s.dispatchScheduled = true
            return true
        }
        if wakeNow { wake() }
    }

    /// For the dispatch task: what to do next, and whether to return credit to the engine now
    /// (as ``nextMessage(scheduleRelease:)`` does when it takes a message or starts waiting).
    func takeForDispatch() -> (next: Dispatched, release: Bool) {
        state.withLock { s in
            if let message = s.inbound.popFirst() { return (.message(message), noteTaken(&s, message)) }
            s.dispatchScheduled = false
            if s.closeReason != nil {
                s.dispatch = nil  // no more wakes; breaks the cycle through the wake closure
                return (.ended, false)
            }
            guard !s.releaseScheduled && s.toReleaseBytes > 0 && s.toReleaseBytes >= idleReleaseThreshold else { return (.idle, false) }
            s.releaseScheduled = true
            return (.idle, true)
        }
    }

    /// Drops the messages not taken yet (the dispatch handler failed; the connection is aborted).
    func discardInbound() {
        state.withLock { $0.inbound.removeAll() }
    }
}
