import DequeModule
import RUDPCore

/// What the event loop keeps about one connection besides the engine's own state:
/// acknowledgement waiters and this batch's deliveries. Commands the engine refused for now stay
/// at the head of the mailbox's queue, not here.
///
/// Confined to the endpoint's event loop.
final class ConnectionRecord {
    let id: ConnectionID
    let engine: Connection
    let handle: RUDPConnection
    var mailbox: ConnectionMailbox { handle.mailbox }

    /// Whether the engine refused a command (send buffer full) and has since reported
    /// ``ConnectionEvent/writable``: the mailbox's queue is to be moved into it again.
    var commandsWritable = false
    /// Messages and bytes moved from the mailbox's queue into the engine since the last publish.
    var movedMessages = 0
    var movedBytes = 0
    /// Waiters of sendAndWaitForAcknowledgement, by message.
    var acknowledgementTokens: [MessageID: UInt64] = [:]
    /// waitUntilAllAcknowledged waiters: resumed once every message below `through` (the engine's
    /// ``Connection/nextMessageID`` when the barrier reached the engine) has left the send buffer.
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

    /// Resolves the waiter of `message` (acknowledged or failed), if it has one. Barriers are
    /// resolved from the engine's ``Connection/messagesReleasedBelow`` (``resolveBarriers()``):
    /// the record keeps no copy of the acknowledgement order.
    func settle(_ message: MessageID, result: Result<Void, any Error>) {
        guard !acknowledgementTokens.isEmpty, let token = acknowledgementTokens.removeValue(forKey: message) else { return }
        resolutions.append((token, result))
    }

    /// Resolves the barriers whose messages have all left the engine's send buffer. When the
    /// connection ends, the engine empties its send buffer (``ConnectionEvent/failed(_:)`` for
    /// each message left) and reports ``ConnectionEvent/closed(_:)`` in the same batch of
    /// events, whose handling fails the barriers before the next publish could resolve them.
    func resolveBarriers() {
        guard let first = barriers.first else { return }
        let releasedBelow = engine.messagesReleasedBelow
        guard first.through <= releasedBelow else { return }
        while let barrier = barriers.first, barrier.through <= releasedBelow {
            barriers.removeFirst()
            resolutions.append((barrier.token, .success(())))
        }
    }
}
