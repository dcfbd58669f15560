import RUDPWire

/// Identifies a message handed to ``Connection/send(_:channel:mode:)``; unique per connection.
public struct MessageID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt64
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public static func < (lhs: MessageID, rhs: MessageID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "#\(rawValue)" }
}

/// A message delivered to the application: exactly the bytes the peer sent, never truncated.
public struct ReceivedMessage: Hashable, Sendable {
    public var bytes: [UInt8]
    public var channel: UInt8
    public var mode: DeliveryMode
    public init(bytes: [UInt8], channel: UInt8, mode: DeliveryMode) {
        self.bytes = bytes
        self.channel = channel
        self.mode = mode
    }
}

/// Why a connection ended.
public enum CloseReason: Hashable, Sendable, CustomStringConvertible {
    /// This side closed gracefully and everything it sent was acknowledged.
    case closedLocally
    /// This side aborted; unacknowledged messages were discarded.
    case aborted
    /// The peer closed the connection (with its code and reason).
    case peerClosed(CloseCode, String)
    /// The client never got an answer to CONNECT (or the server never saw the client's first DATA).
    case connectTimedOut
    /// Nothing was received for the idle timeout.
    case idleTimeout
    /// Outstanding data went unacknowledged for the peer timeout: the peer is gone.
    case peerUnreachable
    /// The peer broke the protocol; the text says how.
    case protocolViolation(String)
    /// The peer sent more than the flow-control window allowed.
    case flowControlViolation
    /// The endpoint's receive-memory budget (``EndpointConfiguration/receiveMemoryBudget``) was
    /// exhausted and this connection held the most received data not yet delivered: the endpoint
    /// closed it (CLOSE with ``CloseCode/resourceLimit``) to make room.
    case resourceLimit
    /// No message was sent or received for ``ConnectionConfiguration/applicationIdleTimeout``;
    /// the peer was told with CLOSE(application idle).
    case applicationIdle

    /// Whether the connection ended without losing anything this side sent.
    public var isClean: Bool {
        switch self {
        case .closedLocally: return true
        case .peerClosed(let code, _): return code == .normal || code == .serverShutdown
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .closedLocally: return "closed"
        case .aborted: return "aborted"
        case let .peerClosed(code, reason): return reason.isEmpty ? "peer closed (\(code))" : "peer closed (\(code)): \(reason)"
        case .connectTimedOut: return "connect timed out"
        case .idleTimeout: return "idle timeout"
        case .peerUnreachable: return "peer unreachable (no acknowledgement within the peer timeout)"
        case .protocolViolation(let why): return "protocol violation: \(why)"
        case .flowControlViolation: return "peer exceeded the flow-control window"
        case .resourceLimit: return "closed to free memory: the endpoint's receive-memory budget was exhausted and this connection held the most"
        case .applicationIdle: return "application idle (no message either way within the application idle limit)"
        }
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
