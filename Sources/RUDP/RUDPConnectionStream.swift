/// The connections a server accepted (handshake complete), as an `AsyncSequence`.
///
/// Finishes when the server shuts down. Single consumer; a cancelled iteration ends.
///
/// ```swift
/// for await connection in server.connections {
///     Task { for try await message in connection.messages { try await connection.send(message.buffer) } }
/// }
/// ```
public struct RUDPConnectionStream: AsyncSequence, Sendable {
    /// What the sequence yields.
    public typealias Element = RUDPConnection

    let queue: AcceptQueue

    /// Iterates the accepted connections.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let queue: AcceptQueue

        /// The next accepted connection, or nil once the server shut down.
        public mutating func next() async -> RUDPConnection? {
            await queue.next()
        }
    }

    /// An iterator over the sequence (they all share one queue).
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(queue: queue)
    }
}
