import Foundation

/// Runs test work outside the Swift concurrency cooperative pool (which other test suites may
/// keep busy), so that its timing does not depend on it:
///
/// - ``run(_:)`` runs blocking work (sockets stepped by hand, a blocking HTTP request) on a
///   thread of its own and awaits its result;
/// - ``runTasks(_:)`` runs async work whose tasks (and child tasks) prefer threads of their own,
///   a ``DedicatedThreadExecutor``: ``ChildProcess`` scopes run so.
///
/// Test expectations (`#expect`) belong in the calling test, not in a blocking `body`: the
/// closure runs outside the test's task, so return what it observed instead.
public enum OffPool {
    /// Runs blocking `body` on a dedicated thread and returns its result.
    public static func run<Value: Sendable>(_ body: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try body() })
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// Runs `body` with a preference for two threads of its own (its child tasks too), which end
    /// with it.
    public static func runTasks<Value: Sendable>(_ body: () async throws -> Value) async throws -> Value {
        let executor = DedicatedThreadExecutor(name: "rudp tests off the pool")
        defer { executor.shutdown() }
        return try await withTaskExecutorPreference(executor) { try await body() }
    }
}
