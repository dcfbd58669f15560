import NIOCore
import RUDPCore

/// A message handed to ``RUDPConnection/send(_:channel:mode:)-(ByteBuffer,_,_)`` that the event loop has not yet
/// given to the engine. `bytes` is the application's buffer (its readable bytes), held by
/// reference until the engine copies each fragment into a datagram.
struct QueuedMessage: Sendable {
    var bytes: ByteBuffer
    var channel: UInt8
    var mode: DeliveryMode
    /// The waiter to resume once the peer acknowledged the message (sendAndWaitForAcknowledgement).
    var acknowledgementToken: UInt64?
}
