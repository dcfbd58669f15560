import Foundation

/// Runs blocking work on a dedicated thread and awaits its result, so it neither waits for nor
/// occupies the Swift concurrency cooperative pool (which other test suites may keep busy).
///
/// Test expectations (`#expect`) belong in the calling test, not in `body`: the closure runs
/// outside the test's task, so return what it observed instead.
enum OffPool {
    static func run<Value: Sendable>(_ body: @escaping @Sendable () throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try body() })
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }
}
