import NIOCore
import RUDPWire

/// Identifies a message handed to ``Connection/send(_:channel:mode:)-(ByteBuffer,_,_)``; unique per connection.
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
/// The bytes are ``buffer``'s readable bytes, in a buffer of the message's own: a message that
/// arrived in one datagram was copied once, from the datagram into it; a message reassembled
/// from several fragments once more, from the fragments kept into it. ``bytes`` is a
/// convenience that copies them into an array.
///
/// ```swift
/// if case .message(let message) = event {
///     print(message.channel, message.mode, String(buffer: message.buffer))
///     endpoint.releaseCredit(message, on: connection)   // done with it: the peer may send more
/// }
/// ```
public struct ReceivedMessage: Hashable, Sendable {
    /// The message's bytes (the buffer's readable bytes), exactly as the peer passed them to
    /// `send`: reassembled from its fragments, never truncated, possibly empty. The buffer is
    /// the message's own (it shares no storage with the datagrams it came in); once the
    /// message's credit is released, the engine may reuse its storage for a later message if
    /// no copy of it is left, so drop your copies or keep them as you like (`ByteBuffer` is
    /// copy-on-write).
    ///
    /// ```swift
    /// var buffer = message.buffer
    /// let id = buffer.readInteger(as: UInt64.self)   // reads from the message's storage, no copy
    /// ```
    public var buffer: ByteBuffer
    /// The message's bytes as an array: a copy of ``buffer``'s readable bytes made on each
    /// read (a convenience; ``buffer`` avoids the copy). Setting it replaces ``buffer``.
    ///
    /// ```swift
    /// let text = String(decoding: message.bytes, as: UTF8.self)
    /// ```
    public var bytes: [UInt8] {
        get { Array(buffer.readableBytesView) }
        set { buffer = ByteBuffer(bytes: newValue) }
    }
    /// The channel the peer sent it on, below the negotiated
    /// ``ConnectionConfiguration/channelCount``. Ordering holds within a channel only.
    public var channel: UInt8
    /// How the peer sent it: reliable ordered messages of a channel arrive in the order sent,
    /// reliable unordered ones as soon as complete, unreliable ones at most once.
    public var mode: DeliveryMode
    /// A message holding `buffer`'s readable bytes, on this channel with this delivery mode
    /// (for tests and adapters; the engine makes the ones it delivers). No copy.
    ///
    /// ```swift
    /// let message = ReceivedMessage(buffer: ByteBuffer(string: "hi"), channel: 0, mode: .reliableOrdered)
    /// ```
    public init(buffer: ByteBuffer, channel: UInt8, mode: DeliveryMode) {
        self.buffer = buffer
        self.channel = channel
        self.mode = mode
    }

    /// A message with a copy of these bytes, channel and delivery mode (for tests and adapters;
    /// the engine makes the ones it delivers).
    ///
    /// ```swift
    /// let message = ReceivedMessage(bytes: [1, 2, 3], channel: 0, mode: .unreliable)
    /// ```
    public init(bytes: [UInt8], channel: UInt8, mode: DeliveryMode) {
        self.init(buffer: ByteBuffer(bytes: bytes), channel: channel, mode: mode)
    }
}

/// What a connection reports to the application, in order, through ``Connection/pollEvent()``.
///
/// An enum on purpose, unlike the error codes (which are extensible structs): these six events
/// are the engine's contract with a driver, and a driver must handle every one of them (a
/// dropped `message` leaks credit, a dropped `closed` leaks the connection). An exhaustive
/// `switch` without `default:` is the intended use, so that a new event, which would come with a
/// major version, fails to compile instead of being ignored. What may grow is carried inside the
/// events: ``CloseReason`` and its code are extensible.
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
