import RUDP
import Synchronization

/// The sender's side of the verdict (Specs/APPLICATIONS.md 2.5): reads the receiver's messages
/// from the moment the connection is up, so a verdict that comes early (a refusal while the
/// content is still being sent) is seen at once, and one that arrived before the connection
/// ended is still found after a send failed.
///
/// ```swift
/// let reader = VerdictReader(connection)
/// if let early = reader.arrived, !early.isIntact { /* stop sending */ }
/// let verdict = try await reader.verdict()     // nil: closed without a verdict
/// ```
final class VerdictReader: Sendable {
    /// The verdict once it arrived, shared with the reading task.
    private final class Arrival: Sendable {
        let verdict = Mutex<FileTransferMessage.Verdict?>(nil)
    }

    private let task: Task<FileTransferMessage.Verdict?, any Error>
    private let early = Arrival()
    private let connection: RUDPConnection

    /// Starts reading `connection`'s messages.
    init(_ connection: RUDPConnection) {
        self.connection = connection
        let early = self.early
        task = Task {
            var messages = connection.messages.makeAsyncIterator()
            guard let reply = try await messages.next() else { return nil }
            guard case .verdict(let verdict) = try FileTransferMessage.decode(reply.bytes) else {
                throw CLIError("the receiver answered with something other than a verdict")
            }
            early.verdict.withLock { $0 = verdict }
            return verdict
        }
    }

    /// The verdict, if it has arrived already.
    var arrived: FileTransferMessage.Verdict? { early.verdict.withLock { $0 } }

    /// Waits for the verdict: nil if the connection closed cleanly without one; throws the
    /// connection's error if it ended otherwise before a verdict arrived.
    func verdict() async throws -> FileTransferMessage.Verdict? {
        try await task.value
    }

    /// After the verdict: waits until the receiver closes the connection (returns) or it ends
    /// otherwise (throws). Anything the receiver sends after its verdict is ignored.
    func waitForTheEnd() async throws {
        _ = try await task.value
        for try await _ in connection.messages {}
    }

    /// Stops reading (the connection is being given up).
    func cancel() {
        task.cancel()
    }
}
