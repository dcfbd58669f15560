import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Bounds every wait of a command: if no progress is reported for `limit` seconds, it runs
/// its expiry action (typically aborting the connection, so the pending receive or send throws) and
/// remembers what was being waited for, so the command can report a clear timeout.
///
/// As a last resort, if the command still has not ended `hardExitGrace` seconds after the expiry,
/// the process exits with status 1 and the timeout message: no wait of `rudp` can hang.
///
/// ```swift
/// let watchdog = InactivityWatchdog(limit: 10, phase: "waiting for the sender to connect")
/// watchdog.start()
/// watchdog.setExpiryAction { await server.shutdown() }     // ends the wait for a connection
/// // ... once connected:
/// watchdog.setExpiryAction { await connection.abort() }   // makes a pending receive throw
/// watchdog.progress(phase: "receiving the content")       // on every chunk
/// if let timeout = watchdog.expiredError { throw timeout }
/// watchdog.stop()
/// ```
final class InactivityWatchdog: Sendable {
    private struct State {
        var lastProgress: ContinuousClock.Instant
        var phase: String
        var expired = false
        var task: Task<Void, Never>?
        var expiryAction: @Sendable () async -> Void = {}
    }

    /// Seconds without progress before the watchdog fires.
    let limit: Double
    /// Seconds after firing before the process is ended forcibly.
    let hardExitGrace: Double
    private let state: Mutex<State>

    /// A stopped watchdog; `phase` describes the first wait ("waiting for ...").
    init(limit: Double, phase: String, hardExitGrace: Double = 5) {
        self.limit = limit
        self.hardExitGrace = hardExitGrace
        state = Mutex(State(lastProgress: .now, phase: phase))
    }

    /// Sets what runs (once) when `limit` seconds pass without progress; replaces the previous action.
    func setExpiryAction(_ action: @escaping @Sendable () async -> Void) {
        state.withLock { $0.expiryAction = action }
    }

    /// Starts watching.
    func start() {
        let task = Task { [self] in
            while !Task.isCancelled {
                let (remaining, phase) = state.withLock { state -> (Double, String) in
                    let idle = (ContinuousClock.now - state.lastProgress) / .seconds(1)
                    return (limit - idle, state.phase)
                }
                if remaining <= 0 {
                    let action = state.withLock { state in
                        state.expired = true
                        return state.expiryAction
                    }
                    await action()
                    try? await Task.sleep(for: .milliseconds(Int64(hardExitGrace * 1000)))
                    if Task.isCancelled { return }
                    Console.writeError("Error: \(CLIError.timedOut(phase, after: limit).message) (and the command did not stop; exiting)\n")
                    exit(1)
                }
                try? await Task.sleep(for: .milliseconds(Int64(min(remaining, 0.5) * 1000) + 1))
            }
        }
        state.withLock { $0.task = task }
    }

    /// Reports progress: the inactivity clock starts again; `phase` (if given) replaces the
    /// description of what is being waited for.
    func progress(phase: String? = nil) {
        let now = ContinuousClock.now
        state.withLock { state in
            state.lastProgress = now
            if let phase { state.phase = phase }
        }
    }

    /// Whether the watchdog fired.
    var hasExpired: Bool { state.withLock { $0.expired } }

    /// The timeout error to report if the watchdog fired, else nil.
    var expiredError: CLIError? {
        state.withLock { $0.expired ? CLIError.timedOut($0.phase, after: limit) : nil }
    }

    /// Stops watching (idempotent).
    func stop() {
        let task = state.withLock { state -> Task<Void, Never>? in
            defer { state.task = nil }
            return state.task
        }
        task?.cancel()
    }
}
