import RUDPWire

/// Identifies a message handed to ``Connection/send(_:channel:mode:)``; unique per connection.
///
/// IDs count up from 0 in the order messages were accepted by `send`, on all channels together,
/// so a later message has a larger ID. ``ConnectionEvent/acknowledged(_:)`` and
/// ``ConnectionEvent/failed(_:)`` name reliable messages by their ID.
///
/// ```swift
/// let id = try endpoint.send(Array("hello".utf8), on: connection)
/// // later, from endpoint.pollEvent():
/// if case .acknowledged(id) = event { print("\(id) arrived") }   // "#0 arrived"
/// ```
public struct MessageID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The message's number: 0 for the first message sent on the connection, then 1, 2, ...
    public var rawValue: UInt64
    /// The ID with number `rawValue`.
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    /// Whether `lhs` was sent before `rhs` (on the same connection).
    public static func < (lhs: MessageID, rhs: MessageID) -> Bool { lhs.rawValue < rhs.rawValue }
    /// The number after a `#`, for example `#12`.
    public var description: String { "#\(rawValue)" }
}

/// A message delivered to the application: exactly the bytes the peer sent, never truncated.
///
/// Carried by ``ConnectionEvent/message(_:)``; in the `RUDP` module, the elements of a
/// connection's message stream.
///
/// ```swift
/// if case .message(let message) = event {
///     print(message.channel, message.mode, String(decoding: message.bytes, as: UTF8.self))
///     endpoint.releaseCredit(message, on: connection)   // done with it: the peer may send more
/// }
/// ```
public struct ReceivedMessage: Hashable, Sendable {
    /// The message's bytes, exactly as the peer passed them to `send`: reassembled from its
    /// fragments, never truncated, possibly empty.
    public var bytes: [UInt8]
    /// The channel the peer sent it on, below the negotiated
    /// ``ConnectionConfiguration/channelCount``. Ordering holds within a channel only.
    public var channel: UInt8
    /// How the peer sent it: reliable ordered messages of a channel arrive in the order sent,
    /// reliable unordered ones as soon as complete, unreliable ones at most once.
    public var mode: DeliveryMode
    /// A message with these bytes, channel and delivery mode (for tests and adapters; the
    /// engine makes the ones it delivers).
    public init(bytes: [UInt8], channel: UInt8, mode: DeliveryMode) {
        self.bytes = bytes
        self.channel = channel
        self.mode = mode
    }
}

/// What a connection reports to the application, in order, through ``Connection/pollEvent()``.
public enum ConnectionEvent: Hashable, Sendable {
    /// The handshake completed.
    case connected
    /// A complete message arrived. It keeps its credit until the application releases it with
    /// ``Endpoint/releaseCredit(_:on:)`` (or ``Connection/releaseCredit(_:)``): see "Credit" in
    /// ``Endpoint``.
    case message(ReceivedMessage)
    /// The peer acknowledged every fragment of this reliable message; it has left the send buffer.
    case acknowledged(MessageID)
    /// The connection ended before this reliable message was acknowledged.
    case failed(MessageID)
    /// The send buffer has room again after a send was refused with ``SendError/sendBufferFull``:
    /// room for the smallest message refused since the last `writable`, so sending that message
    /// again now succeeds (unless the connection closed or the peer lowered a limit meanwhile).
    case writable
    /// The connection ended. No event follows.
    case closed(CloseReason)
}
