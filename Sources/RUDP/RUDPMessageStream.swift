import RUDPCore

/// The messages a connection receives, as an `AsyncSequence` of `ReceivedMessage`.
///
/// Finishes when the connection closes cleanly; throws ``RUDPError`` when it ends otherwise.
/// Single consumer: iterate it from one task at a time.
///
/// ```swift
/// for try await message in connection.messages {
///     try await connection.send(message.buffer)   // echo
/// }
/// ```
public struct RUDPMessageStream: AsyncSequence, Sendable {
    /// What the sequence yields.
    public typealias Element = ReceivedMessage

    let connection: RUDPConnection

    /// Iterates the received messages.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let connection: RUDPConnection

        /// The next message, or nil once the connection closed cleanly. Runs on the caller's
        /// executor: taking a buffered message does not hop threads.
        public nonisolated(nonsending) mutating func next() async throws -> ReceivedMessage? {
            try await connection.nextMessage()
        }

        /// The next message, or nil once the connection closed cleanly (used by `for try await`).
        public mutating func next(isolation actor: isolated (any Actor)?) async throws(any Error) -> ReceivedMessage? {
            try await connection.nextMessage()
        }
    }

    /// An iterator over the sequence (they all share one queue).
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(connection: connection)
    }
}
