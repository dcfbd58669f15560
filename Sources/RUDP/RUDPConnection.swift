import NIOCore
import RUDPCore

/// One reliable connection to a peer: send messages, iterate the messages received, close.
///
/// Obtained from ``RUDPClient/connect(host:port:localHost:configuration:)`` or from an ``RUDPServer``.
/// Every method may be called from any task. Messages are delivered on each channel in the
/// order the `DeliveryMode` promises; a slow consumer of ``messages`` back-pressures the peer.
///
/// ```swift
/// let connection = try await RUDPClient.connect(host: "127.0.0.1", port: 9000)
/// try await connection.send(Array("hello".utf8))
/// for try await message in connection.messages {
///     print(String(buffer: message.buffer))
///     break
/// }
/// try await connection.close()
/// ```
public final class RUDPConnection: Sendable {
    /// The connection ID this side receives on.
    public let id: ConnectionID
    /// The peer's address when the connection was made.
    public let remoteAddress: SocketAddress
    let mailbox: ConnectionMailbox
    let driver: EndpointDriver

    init(id: ConnectionID, remoteAddress: SocketAddress, mailbox: ConnectionMailbox, driver: EndpointDriver) {
        self.id = id
        self.remoteAddress = remoteAddress
        self.mailbox = mailbox
        self.driver = driver
    }

    /// Runs tasks on the event loop that runs this connection's engine: a task that prefers it
    /// gets the connection's messages, and hands it messages to send, without a thread hop.
    ///
    /// Code that runs on it must not block (no blocking system calls, no long computations):
    /// while it runs, no other connection on the same loop sends or receives. It suits short
    /// handlers that answer each message quickly; the default (no preference, Swift's global
    /// executor) suits everything else, and on two cores measured as fast or faster. ``RUDPServer/serve(handlersOnEventLoop:_:)`` uses it
    /// for every connection's handler.
    ///
    /// ```swift
    /// let connection = try await RUDPClient.connect(host: "127.0.0.1", port: 9000)
    /// let reader = Task(executorPreference: connection.taskExecutor) {
    ///     var count = 0
    ///     for try await _ in connection.messages { count += 1 }
    ///     return count
    /// }
    /// ```
    public var taskExecutor: any TaskExecutor { driver.taskExecutor }

    private var scheduleDrain: @Sendable () -> Void {
        { [driver, id] in driver.scheduleDrain(id) }
    }

    /// Queues a message; suspends while the send buffer is full (back-pressure).
    ///
    /// Returns once the message is queued, not once it is delivered (see
    /// ``sendAndWaitForAcknowledgement(_:channel:mode:)-(ByteBuffer,_,_)`` and ``waitUntilAllAcknowledged()``).
    /// Throws ``RUDPError`` with code `messageTooLarge` (beyond either side's maximum message
    /// size), `invalidArgument` (no such channel), or, once the connection is closing or closed,
    /// `connectionClosed`, `peerClosed` or the reason it failed.
    ///
    /// The message is `buffer`'s readable bytes. The connection keeps a reference to the buffer,
    /// not a copy, until the engine has copied each fragment into the datagram that carries it
    /// (the one copy on the way out); `ByteBuffer` is copy-on-write, so changing your copy
    /// afterwards never changes what is sent. The send buffer counts the readable bytes, but
    /// the buffer's whole storage stays alive until the message is acknowledged: send a small
    /// slice of a large buffer as a copy of its own.
    ///
    /// ```swift
    /// var buffer = ByteBuffer()
    /// buffer.writeString("hello")
    /// try await connection.send(buffer, channel: 0, mode: .reliableOrdered)
    /// ```
    public nonisolated(nonsending) func send(_ buffer: ByteBuffer, channel: UInt8 = 0, mode: DeliveryMode = .reliableOrdered) async throws {
        let message = QueuedMessage(bytes: buffer, channel: channel, mode: mode, acknowledgementToken: nil)
        while true {
            let outcome = try mailbox.tryEnqueue(message)
            if outcome.queued {
                if outcome.drain { driver.scheduleDrain(id) }
                return
            }
            try await waitForRoom(buffer.readableBytes)
        }
    }

    /// Queues a message given as an array: a convenience that copies `bytes` into a new
    /// `ByteBuffer` once and sends that (see the `ByteBuffer` variant, which avoids the copy).
    ///
    /// ```swift
    /// try await connection.send(Array("hello".utf8))
    /// ```
    public nonisolated(nonsending) func send(_ bytes: [UInt8], channel: UInt8 = 0, mode: DeliveryMode = .reliableOrdered) async throws {
        try await send(ByteBuffer(bytes: bytes), channel: channel, mode: mode)
    }

    /// Like ``send(_:channel:mode:)-(ByteBuffer,_,_)``, but returns only once the peer
    /// acknowledged the message. An unreliable message has no acknowledgement: the call returns
    /// once it is queued. Takes `buffer` by reference, as `send` does.
    ///
    /// ```swift
    /// try await connection.sendAndWaitForAcknowledgement(ByteBuffer(string: "commit"))
    /// ```
    public nonisolated(nonsending) func sendAndWaitForAcknowledgement(
        _ buffer: ByteBuffer, channel: UInt8 = 0, mode: DeliveryMode = .reliableOrdered
    ) async throws {
        let size = buffer.readableBytes
        while true {
            var full = false
            try await mailbox.suspend(drain: scheduleDrain) { s, token in
                if let error = mailbox.validate(s, size: size, channel: channel) { return .finish(.failure(error)) }
                guard mailbox.hasRoom(s, for: size) else {
                    full = true
                    return .finish(.success(()))
                }
                s.commands.append(.message(QueuedMessage(bytes: buffer, channel: channel, mode: mode, acknowledgementToken: token)))
                s.queuedMessages += 1
                s.queuedBytes += size
                return mailbox.needsDrain(&s) ? .waitAndDrain : .wait
            }
            if !full { return }
            try await waitForRoom(size)
        }
    }

    /// Like ``send(_:channel:mode:)-([UInt8],_,_)``, but returns only once the peer acknowledged
    /// the message: a convenience that copies `bytes` into a new `ByteBuffer` once.
    ///
    /// ```swift
    /// try await connection.sendAndWaitForAcknowledgement(Array("commit".utf8))
    /// ```
    public nonisolated(nonsending) func sendAndWaitForAcknowledgement(
        _ bytes: [UInt8], channel: UInt8 = 0, mode: DeliveryMode = .reliableOrdered
    ) async throws {
        try await sendAndWaitForAcknowledgement(ByteBuffer(bytes: bytes), channel: channel, mode: mode)
    }

    /// Suspends until every message sent so far was acknowledged (or throws if the connection
    /// ends first): until every message queued before the call has left the engine's send
    /// buffer, reliable ones acknowledged by the peer, unreliable ones once sent.
    public nonisolated(nonsending) func waitUntilAllAcknowledged() async throws {
        try await mailbox.suspend(drain: scheduleDrain) { s, token in
            if s.closeReason != nil {
                return .finish(s.failure.map { .failure($0) } ?? .success(()))
            }
            s.commands.append(.barrier(token: token))
            return mailbox.needsDrain(&s) ? .waitAndDrain : .wait
        }
    }

    private nonisolated(nonsending) func waitForRoom(_ size: Int) async throws {
        try await mailbox.suspend(drain: scheduleDrain) { s, token in
            if s.closeReason != nil || s.closeRequested || s.abortRequested { return .finish(.failure(s.closedError)) }
            if mailbox.hasRoom(s, for: size) { return .finish(.success(())) }
            s.roomWaiters.append(token)
            return .wait
        }
    }

    /// Received messages in delivery order; finishes when the connection closes cleanly, throws
    /// ``RUDPError`` otherwise. Single consumer.
    ///
    /// Flow-control credit goes back to the peer as the consumer takes messages, so a slow
    /// consumer back-pressures the peer and what is buffered here stays within the receive window.
    public var messages: RUDPMessageStream { RUDPMessageStream(connection: self) }

    /// The next received message, or nil once the connection closed cleanly.
    nonisolated(nonsending) func nextMessage() async throws -> ReceivedMessage? {
        try await mailbox.nextMessage { [driver, id] in driver.scheduleRelease(id) }
    }

    /// Graceful close: delivers what is pending, exchanges CLOSE; returns when closed.
    ///
    /// Throws the ``RUDPError`` that ended the connection if it did not end cleanly (for example
    /// `peerUnreachable` when the peer stopped acknowledging).
    public func close() async throws {
        try await mailbox.suspend(drain: scheduleDrain) { s, token in
            if s.closeReason != nil { return .finish(s.failure.map { .failure($0) } ?? .success(())) }
            s.closeRequested = true
            s.closeWaiters.append(token)
            return mailbox.needsDrain(&s) ? .waitAndDrain : .wait
        }
    }

    /// Aborts: discards unacknowledged messages, tells the peer once, returns when closed.
    public func abort() async {
        await abort(reason: "")
    }

    /// Aborts with a reason the peer sees: its CLOSE carries `reason` (UTF-8, cut to 200 bytes),
    /// and the peer's calls fail with ``RUDPError/Code/peerClosed`` and a message ending in it.
    /// Returns once closed, after the CLOSE was handed to the socket.
    ///
    /// ```swift
    /// await connection.abort(reason: "the receiver was interrupted (SIGINT)")
    /// ```
    public func abort(reason: String) async {
        try? await mailbox.suspend(drain: scheduleDrain) { s, token in
            if s.closeReason != nil { return .finish(.success(())) }
            if !s.abortRequested { s.abortReason = reason }
            s.abortRequested = true
            s.closeWaiters.append(token)
            return mailbox.needsDrain(&s) ? .waitAndDrain : .wait
        }
    }

    /// Counters and estimates of the connection (the last values once it has closed).
    public func statistics() async -> ConnectionStatistics {
        let driver = self.driver, id = self.id
        if let live = try? await driver.eventLoop.submit({ driver.statistics(of: id) }).get() {
            return live
        }
        return mailbox.state.withLock { $0.finalStatistics?.value } ?? ConnectionStatistics()
    }

    /// Datagrams dropped on purpose by ``RUDPConfiguration/receiveLoss`` on the endpoint this
    /// connection runs on: for a client connection, its own socket; on a server, all of the
    /// server's connections together (as ``RUDPServer/injectedLosses()``).
    @_spi(Testing) public func endpointInjectedLosses() async -> Int {
        let driver = self.driver
        return (try? await driver.eventLoop.submit { driver.injectedLosses }.get()) ?? 0
    }

    /// Why it closed, once it has (nil while open).
    public func closeReason() async -> CloseReason? {
        mailbox.state.withLock { $0.closeReason }
    }

    /// Suspends until the handshake finished (client side).
    func waitUntilConnected() async throws {
        try await mailbox.suspend(drain: scheduleDrain) { s, token in
            if s.isConnected { return .finish(.success(())) }
            if s.closeReason != nil { return .finish(.failure(s.closedError)) }
            s.connectWaiters.append(token)
            return .wait
        }
    }
}
