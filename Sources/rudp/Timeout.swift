import TimeLimit

/// Runs an operation with a time limit, so no command can wait forever: the package's one time
/// limit, ``withTimeLimit(seconds:_:_:)`` (which returns at its limit even if the operation
/// ignores cancellation), with the limit reported as ``CLIError/timedOut(_:after:)``.
///
/// ```swift
/// let reply = try await Timeout.run(seconds: 5, waitingFor: "waiting for the reply") {
///     try await iterator.next()
/// }
/// ```
enum Timeout {
    /// Returns the operation's result, or throws ``CLIError`` if it takes longer than `seconds`.
    static func run<Value: Sendable>(
        seconds: Double, waitingFor what: String,
        operation: @escaping @Sendable () async throws -> Value
    ) async throws -> Value {
        do {
            return try await withTimeLimit(seconds: seconds, what, operation)
        } catch is TimeLimitExceeded {
            throw CLIError.timedOut(what, after: seconds)
        }
    }
}
