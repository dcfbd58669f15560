import Synchronization

/// A body that was still running when its time limit passed.
public struct TimeLimitExceeded: Error, CustomStringConvertible, Sendable {
    /// The limit, in seconds.
    public var seconds: Double
    /// What was being waited for.
    public var what: String

    /// A limit of `seconds` passed while waiting for `what`.
    public init(seconds: Double, what: String) {
        self.seconds = seconds
        self.what = what
    }

    /// What ran out of time, and after how long.
    public var description: String { "still running \(seconds) s after it started: \(what)" }
}

/// Runs `body`, throwing ``TimeLimitExceeded`` if it is still running `seconds` after it
/// *started* (the body is then cancelled). The one time limit of the package's tools and tests:
/// `rudp`'s waits and the tests' hang guards.
///
/// It returns at its limit even if the body ignores cancellation (a stuck transfer does): the
/// body runs in an unstructured task that is cancelled and left behind, not awaited, so the
/// caller fails instead of hanging. The clock (`ContinuousClock`) starts when the body first
/// runs, not when it was queued. If the caller's task is cancelled, it throws
/// `CancellationError` at once.
///
/// ```swift
/// let reply = try await withTimeLimit(seconds: 5, "the reply") { try await iterator.next() }
/// ```
public func withTimeLimit<T: Sendable>(
    seconds: Double, _ what: String,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let outcome = FirstOutcome<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            outcome.install(continuation)
            let work = Task {
                let timer = Task {
                    try await Task.sleep(for: .nanoseconds(Int64(min(max(0, seconds), 9e9) * 1e9)))
                    outcome.finish(.failure(TimeLimitExceeded(seconds: seconds, what: what)))
                }
                outcome.onFinish { timer.cancel() }
                let result: Result<T, any Error>
                do { result = .success(try await body()) } catch { result = .failure(error) }
                outcome.finish(result)
            }
            outcome.onFinish { work.cancel() }
        }
    } onCancel: {
        outcome.finish(.failure(CancellationError()))
    }
}

/// The first of several racing results, delivered once to a continuation; later ones are
/// dropped. Actions registered with `onFinish` run once the result is in (at once if it is).
private final class FirstOutcome<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var pending: Result<T, any Error>?
        var finished = false
        var actions: [@Sendable () -> Void] = []
    }

    private let state = Mutex(State())

    func install(_ continuation: CheckedContinuation<T, any Error>) {
        let pending = state.withLock { state -> Result<T, any Error>? in
            guard let pending = state.pending else {
                state.continuation = continuation
                return nil
            }
            state.pending = nil
            return pending
        }
        if let pending { continuation.resume(with: pending) }
    }

    func finish(_ result: Result<T, any Error>) {
        let taken = state.withLock { state -> (CheckedContinuation<T, any Error>?, [@Sendable () -> Void])? in
            if state.finished { return nil }
            state.finished = true
            let continuation = state.continuation
            state.continuation = nil
            if continuation == nil { state.pending = result }
            let actions = state.actions
            state.actions = []
            return (continuation, actions)
        }
        guard let (continuation, actions) = taken else { return }
        continuation?.resume(with: result)
        for action in actions { action() }
    }

    func onFinish(_ action: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { state -> Bool in
            if state.finished { return true }
            state.actions.append(action)
            return false
        }
        if runNow { action() }
    }
}
