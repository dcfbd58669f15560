import RUDPCore

/// A message handed to ``RUDPConnection/send(_:channel:mode:)`` that the event loop has not yet
/// given to the engine.
struct QueuedMessage: Sendable {
    var bytes: [UInt8]
    var channel: UInt8
    var mode: DeliveryMode
    /// The waiter to resume once the peer acknowledged the message (sendAndWaitForAcknowledgement).
    var acknowledgementToken: UInt64?
}
