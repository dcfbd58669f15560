import RUDPCore

/// What the application asked of a connection, in order, for the event loop to carry out.
enum OutgoingCommand: Sendable {
    /// Queue a message.
    case message(QueuedMessage)
    /// Resume waiter `token` once every reliable message queued before it was acknowledged.
    case barrier(token: UInt64)
}
