import RUDPWire

/// Why a connection ended: the payload of ``ConnectionEvent/closed(_:)``.
///
/// A struct rather than an enum (swift-nio-ssh's `NIOSSHError` pattern): new local reasons
/// have been added as the engine grew (``resourceLimit``, ``applicationIdle``), and more will
/// be, so switch on ``code`` with a `default:` branch, or compare with `==`. A peer's close
/// code is not a case of its own: it arrives as ``peerClosed(_:_:)`` with a `CloseCode`,
/// which is itself an open set of 16-bit wire values.
///
/// ```swift
/// if case .closed(let reason) = event {
///     switch reason.code {
///     case .peerClosed where reason.peerCode == .refused: retryLater()
///     case .idleTimeout, .peerUnreachable: reconnect()
///     default: print("closed: \(reason)")   // "peer closed (server shutdown)"
///     }
/// }
/// ```
public struct CloseReason: Hashable, Sendable, CustomStringConvertible {
    /// The kind of ending, to switch on (with a `default:` branch: new codes may be added).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case closedLocally
            case aborted
            case peerClosed
            case connectTimedOut
            case idleTimeout
            case peerUnreachable
            case protocolViolation
            case flowControlViolation
            case resourceLimit
            case applicationIdle
        }

        fileprivate var base: Base

        /// This side closed gracefully and everything it sent was acknowledged.
        public static let closedLocally = Code(base: .closedLocally)
        /// This side aborted; unacknowledged messages were discarded.
        public static let aborted = Code(base: .aborted)
        /// The peer closed the connection (with its code and reason).
        public static let peerClosed = Code(base: .peerClosed)
        /// The client never got an answer to CONNECT (or the server never saw the client's first DATA).
        public static let connectTimedOut = Code(base: .connectTimedOut)
        /// Nothing was received for the idle timeout (``ConnectionConfiguration/idleTimeout``).
        public static let idleTimeout = Code(base: .idleTimeout)
        /// Outstanding data went unacknowledged for the peer timeout: the peer is gone.
        public static let peerUnreachable = Code(base: .peerUnreachable)
        /// The peer broke the protocol; the text says how.
        public static let protocolViolation = Code(base: .protocolViolation)
        /// The peer sent more than the flow-control window allowed.
        public static let flowControlViolation = Code(base: .flowControlViolation)
        /// The endpoint's receive-memory budget (``EndpointConfiguration/receiveMemoryBudget``) was
        /// exhausted and this connection held the most received data not yet delivered: the endpoint
        /// closed it (CLOSE with `CloseCode.resourceLimit`) to make room.
        public static let resourceLimit = Code(base: .resourceLimit)
        /// No message was sent or received for ``ConnectionConfiguration/applicationIdleTimeout``;
        /// the peer was told with CLOSE(application idle).
        public static let applicationIdle = Code(base: .applicationIdle)

        /// The code's stable name, for example `"closedLocally"` (the same as ``CloseReason/name``).
        public var description: String { base.rawValue }
    }

    /// The reason with its details; internal so that it can grow without breaking users.
    enum Storage: Hashable, Sendable {
        case closedLocally
        case aborted
        case peerClosed(CloseCode, String)
        case connectTimedOut
        case idleTimeout
        case peerUnreachable
        case protocolViolation(String)
        case flowControlViolation
        case resourceLimit
        case applicationIdle
    }

    /// The reason with its details.
    let storage: Storage

    private init(_ storage: Storage) { self.storage = storage }

    /// This side closed gracefully and everything it sent was acknowledged.
    public static let closedLocally = CloseReason(.closedLocally)
    /// This side aborted; unacknowledged messages were discarded.
    public static let aborted = CloseReason(.aborted)
    /// The peer closed the connection with CLOSE(`code`), giving `reason` (often empty).
    public static func peerClosed(_ code: CloseCode, _ reason: String) -> CloseReason {
        CloseReason(.peerClosed(code, reason))
    }
    /// The client never got an answer to CONNECT (or the server never saw the client's first DATA).
    public static let connectTimedOut = CloseReason(.connectTimedOut)
    /// Nothing was received for the idle timeout (``ConnectionConfiguration/idleTimeout``).
    public static let idleTimeout = CloseReason(.idleTimeout)
    /// Outstanding data went unacknowledged for the peer timeout: the peer is gone.
    public static let peerUnreachable = CloseReason(.peerUnreachable)
    /// The peer broke the protocol; `why` says how.
    public static func protocolViolation(_ why: String) -> CloseReason {
        CloseReason(.protocolViolation(why))
    }
    /// The peer sent more than the flow-control window allowed.
    public static let flowControlViolation = CloseReason(.flowControlViolation)
    /// The endpoint's receive-memory budget (``EndpointConfiguration/receiveMemoryBudget``) was
    /// exhausted and this connection held the most received data not yet delivered: the endpoint
    /// closed it (CLOSE with `CloseCode.resourceLimit`) to make room.
    public static let resourceLimit = CloseReason(.resourceLimit)
    /// No message was sent or received for ``ConnectionConfiguration/applicationIdleTimeout``;
    /// the peer was told with CLOSE(application idle).
    public static let applicationIdle = CloseReason(.applicationIdle)

    /// The kind of ending, to switch on (with a `default:` branch: new codes may be added).
    public var code: Code {
        switch storage {
        case .closedLocally: return .closedLocally
        case .aborted: return .aborted
        case .peerClosed: return .peerClosed
        case .connectTimedOut: return .connectTimedOut
        case .idleTimeout: return .idleTimeout
        case .peerUnreachable: return .peerUnreachable
        case .protocolViolation: return .protocolViolation
        case .flowControlViolation: return .flowControlViolation
        case .resourceLimit: return .resourceLimit
        case .applicationIdle: return .applicationIdle
        }
    }

    /// A stable, short identifier of the kind of ending (``Code/description``), for example
    /// `"closedLocally"`, for logs and counter labels.
    public var name: String { code.description }

    /// Whether the connection ended without losing anything this side sent: this side closed
    /// gracefully, or the peer closed with `CloseCode.normal` or `CloseCode.serverShutdown`.
    public var isClean: Bool {
        switch storage {
        case .closedLocally: return true
        case .peerClosed(let code, _): return code == .normal || code == .serverShutdown
        default: return false
        }
    }

    /// For ``Code/peerClosed``: the code of the peer's CLOSE frame (any 16-bit value, including
    /// codes this version does not know); otherwise nil.
    public var peerCode: CloseCode? {
        if case let .peerClosed(code, _) = storage { return code }
        return nil
    }

    /// For ``Code/peerClosed``: the reason text of the peer's CLOSE frame (often empty); for
    /// ``Code/protocolViolation``: what the peer did wrong; otherwise nil.
    public var detail: String? {
        switch storage {
        case let .peerClosed(_, text), let .protocolViolation(text): return text
        default: return nil
        }
    }

    /// Why the connection ended, in words, for example "idle timeout" or
    /// "peer closed (refused): too many connections".
    public var description: String {
        switch storage {
        case .closedLocally: return "closed"
        case .aborted: return "aborted"
        case let .peerClosed(code, reason): return reason.isEmpty ? "peer closed (\(code))" : "peer closed (\(code)): \(reason)"
        case .connectTimedOut: return "connect timed out"
        case .idleTimeout: return "idle timeout"
        case .peerUnreachable: return "peer unreachable (no acknowledgement within the peer timeout)"
        case .protocolViolation(let why): return "protocol violation: \(why)"
        case .flowControlViolation: return "peer exceeded the flow-control window"
        case .resourceLimit:
            return "closed to free memory: the endpoint's receive-memory budget was exhausted and this connection held the most"
        case .applicationIdle: return "application idle (no message either way within the application idle limit)"
        }
    }
}
