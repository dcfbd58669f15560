import DequeModule
import RUDPCore

/// What the event loop keeps about one connection besides the engine's own state: commands the
/// engine could not take yet, acknowledgement waiters, and this batch's deliveries.
///
/// Confined to the endpoint's event loop.
final class ConnectionRecord {
    let id: ConnectionID
    let engine: Connection
    let handle: RUDPConnection
    var mailbox: ConnectionMailbox { handle.mailbox }

    /// Commands taken from the mailbox that the engine refused for now (send buffer full).
    var blocked: Deque<OutgoingCommand> = []
    /// Messages and bytes moved from the mailbox's queue into the engine since the last publish.
    var movedMessages = 0
    var movedBytes = 0
    /// Reliable messages in the engine not yet acknowledged, in send order (IDs increase).
    var outstanding: Deque<MessageID> = []
    /// Acknowledged messages behind an older unacknowledged one.
    var acknowledgedOutOfOrder: Set<MessageID> = []
    /// The newest reliable message handed to the engine.
    var newestReliable: MessageID?
    /// Waiters of sendAndWaitForAcknowledgement, by message.
    var acknowledgementTokens: [MessageID: UInt64] = [:]
    /// waitUntilAllAcknowledged waiters: resumed once every reliable message up to `through` was acknowledged.
    var barriers: Deque<(through: MessageID, token: UInt64)> = []
    /// Results for waiters, handed over at the next publish.
    var resolutions: [(token: UInt64, result: Result<Void, any Error>)] = []
    /// Messages delivered in this batch, handed over at the next publish.
    var delivered: [ReceivedMessage] = []
    /// Whether this connection is on the loop's list of connections to publish.
    var isTouched = false
    /// Whether the application asked for a graceful close and the engine was told.
    var closeIssued = false
    /// Retransmitted fragments already reported to metrics.
    var reportedRetransmissions = 0

    init(id: ConnectionID, engine: Connection, handle: RUDPConnection) {
        self.id = id
        self.engine = engine
        self.handle = handle
    }

    /// Notes that `message` left the send buffer (acknowledged or failed) and resolves the
    /// waiters that were waiting for it.
    func settle(_ message: MessageID, result: Result<Void, any Error>) {
        if let token = acknowledgementTokens.removeValue(forKey: message) {
            resolutions.append((token, result))
        }
        if outstanding.first == message {
            outstanding.removeFirst()
            while let first = outstanding.first, acknowledgedOutOfOrder.remove(first) != nil {
                outstanding.removeFirst()
            }
        } else {
            acknowledgedOutOfOrder.insert(message)
        }
        // A failed message means the connection is ending: its barriers fail with it at close.
        if case .success = result { resolveBarriers() }
    }

    /// Resolves barriers whose messages have all left the send buffer.
    func resolveBarriers() {
        while let barrier = barriers.first, outstanding.first.map({ $0 > barrier.through }) ?? true {
            barriers.removeFirst()
            resolutions.append((barrier.token, .success(())))
        }
    }
}
