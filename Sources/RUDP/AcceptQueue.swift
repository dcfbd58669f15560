import DequeModule
import Synchronization

/// Connections a server accepted and the application has not taken yet. Bounded by the
/// server's `maxConnections`, since each entry is a live connection.
final class AcceptQueue: Sendable {
    private struct State {
        var ready: Deque<RUDPConnection> = []
        var consumer: (token: UInt64, continuation: CheckedContinuation<RUDPConnection?, Never>)?
        var isFinished = false
        var nextToken: UInt64 = 1
    }

    private let state = Mutex(State())

    /// Hands a newly accepted connection to the consumer.
    func append(_ connection: RUDPConnection) {
        let consumer: CheckedContinuation<RUDPConnection?, Never>? = state.withLock { s in
            if s.isFinished { return nil }
            if let c = s.consumer {
                s.consumer = nil
                return c.continuation
            }
            s.ready.append(connection)
            return nil
        }
        consumer?.resume(returning: connection)
    }

    /// No more connections will come; a waiting consumer gets nil.
    func finish() {
        let consumer: CheckedContinuation<RUDPConnection?, Never>? = state.withLock { s in
            s.isFinished = true
            s.ready.removeAll()
            defer { s.consumer = nil }
            return s.consumer?.continuation
        }
        consumer?.resume(returning: nil)
    }

    /// The next accepted connection, or nil once the server shut down (or the task was cancelled,
    /// or another task is already waiting).
    func next() async -> RUDPConnection? {
        let token = state.withLock { s in
            defer { s.nextToken += 1 }
            return s.nextToken
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<RUDPConnection?, Never>) in
                let immediate: RUDPConnection?? = state.withLock { s in
                    if let first = s.ready.popFirst() { return .some(first) }
                    if s.isFinished || Task.isCancelled || s.consumer != nil { return .some(nil) }
                    s.consumer = (token, continuation)
                    return .none
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let consumer: CheckedContinuation<RUDPConnection?, Never>? = state.withLock { s in
                guard let c = s.consumer, c.token == token else { return nil }
                s.consumer = nil
                return c.continuation
            }
            consumer?.resume(returning: nil)
        }
    }
}
