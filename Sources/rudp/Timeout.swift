/// Runs an operation with a time limit, so no command can wait forever.
///
/// When the limit passes, `onTimeout` runs (for example aborting the connection, which makes a
/// pending receive throw), the operation's task is cancelled, and ``CLIError/timedOut(_:after:)``
/// is thrown.
///
/// ```swift
/// let reply = try await Timeout.run(seconds: 5, waitingFor: "waiting for the reply",
///                                   onTimeout: { await connection.abort() }) {
///     try await iterator.next()
/// }
/// ```
enum Timeout {
    private enum Outcome<Value: Sendable>: Sendable {
        case finished(Value)
        case timedOut
    }

    /// Returns the operation's result, or throws ``CLIError`` if it takes longer than `seconds`.
    static func run<Value: Sendable>(
        seconds: Double,
        waitingFor what: String,
        onTimeout: @escaping @Sendable () async -> Void = {},
        operation: @escaping @Sendable () async throws -> Value
    ) async throws -> Value {
        try await withThrowingTaskGroup(of: Outcome<Value>.self) { group in
            group.addTask { .finished(try await operation()) }
            group.addTask {
                try? await Task.sleep(for: .nanoseconds(Int64(max(0, seconds) * 1e9)))
                return .timedOut
            }
            defer { group.cancelAll() }
            // The first child to finish decides; the other is cancelled when the group ends.
            guard let first = try await group.next() else { throw CLIError.timedOut(what, after: seconds) }
            switch first {
            case .finished(let value):
                return value
            case .timedOut:
                await onTimeout()
                throw CLIError.timedOut(what, after: seconds)
            }
        }
    }
}
