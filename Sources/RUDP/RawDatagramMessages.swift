import RUDPCore

/// The messages a ``RawDatagramReceiver`` reads, as an `AsyncSequence` of ``ReceivedMessage``:
/// the raw-UDP baseline's counterpart of ``RUDPMessageStream``, taking messages through the same
/// ``ConnectionMailbox`` call. Finishes after ``RawDatagramReceiver/finish()``. Single consumer.
///
/// ```swift
/// for try await message in path.receiver.messages { ... }
/// ```
package struct RawDatagramMessages: AsyncSequence, Sendable {
    package typealias Element = ReceivedMessage

    let receiver: RawDatagramReceiver

    /// Iterates the messages read (every iterator shares one queue).
    package struct AsyncIterator: AsyncIteratorProtocol {
        let receiver: RawDatagramReceiver

        /// The next message, or nil once finished.
        package nonisolated(nonsending) mutating func next() async throws -> ReceivedMessage? {
            try await receiver.nextMessage()
        }

        /// The next message, or nil once finished (used by `for try await`).
        package mutating func next(isolation actor: isolated (any Actor)?) async throws(any Error) -> ReceivedMessage? {
            try await receiver.nextMessage()
        }
    }

    package func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(receiver: receiver)
    }
}
