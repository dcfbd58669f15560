import Synchronization

/// The ready queue of ``RUDPServer/serveMessages(handlersOnEventLoop:accepted:ended:_:)``: connections that have
/// messages to handle, or that ended, each queued at most once at a time (their mailbox keeps
/// track). Finishes once the server stopped accepting and every adopted connection ended.
final class MessageDispatcher: Sendable {
    /// Connections to run a dispatch task for.
    let ready: AsyncStream<RUDPConnection>
    private let continuation: AsyncStream<RUDPConnection>.Continuation
    private let counts = Mutex((live: 0, accepting: true))

    init() {
        (ready, continuation) = AsyncStream.makeStream(of: RUDPConnection.self)
    }

    /// Takes over delivering `connection`'s messages.
    func adopt(_ connection: RUDPConnection) {
        counts.withLock { $0.live += 1 }
        let continuation = self.continuation
        connection.mailbox.enableDispatch { continuation.yield(connection) }
    }

    /// An adopted connection ended and its last messages were handled.
    func connectionEnded() {
        let finished = counts.withLock { counts in
            counts.live -= 1
            return !counts.accepting && counts.live == 0
        }
        if finished { continuation.finish() }
    }

    /// The server accepts no more connections.
    func acceptingEnded() {
        let finished = counts.withLock { counts in
            counts.accepting = false
            return counts.live == 0
        }
        if finished { continuation.finish() }
    }
}
