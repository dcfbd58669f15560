import RUDPCore

/// Why an RUDP operation failed: a code to switch on and a human-readable message.
///
/// Switch on ``code`` with a `default:` branch (new codes may be added), or compare codes
/// with `==`.
///
/// ```swift
/// do {
///     try await connection.send(bytes)
/// } catch let error as RUDPError where error.code == .messageTooLarge {
///     print(error)   // "message of 2000000 bytes exceeds the limit of 1048576 bytes"
/// }
/// ```
public struct RUDPError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure, to switch on (with a `default:` branch: new codes may be added) or
    /// compare with `==`.
    ///
    /// A struct rather than an enum (swift-nio-ssh's `NIOSSHError` pattern), like `SendError.Code`
    /// and `CloseReason.Code`: adding a code does not break a caller's exhaustive `switch`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case addressInUse, hostNotResolved, connectTimedOut, peerClosed
            case peerUnreachable, idleTimeout, messageTooLarge, connectionClosed
            case aborted, protocolViolation, invalidArgument, serverShutdown
            case securityMismatch, resourceLimit, connectionRefused
        }

        fileprivate var base: Base

        /// The local address is already bound by another socket.
        public static let addressInUse = Code(base: .addressInUse)
        /// The host name did not resolve to an address.
        public static let hostNotResolved = Code(base: .hostNotResolved)
        /// The server never answered CONNECT within `ConnectionConfiguration.connectTimeout`.
        public static let connectTimedOut = Code(base: .connectTimedOut)
        /// The peer closed the connection.
        public static let peerClosed = Code(base: .peerClosed)
        /// Data went unacknowledged for `ConnectionConfiguration.peerTimeout`: the peer is gone.
        public static let peerUnreachable = Code(base: .peerUnreachable)
        /// Nothing was received for `ConnectionConfiguration.idleTimeout`, or no message either
        /// way for `ConnectionConfiguration.applicationIdleTimeout` (on either side).
        public static let idleTimeout = Code(base: .idleTimeout)
        /// The message is larger than this side's or the peer's maximum message size.
        public static let messageTooLarge = Code(base: .messageTooLarge)
        /// The connection was closed (locally) or is closing; nothing more can be sent.
        public static let connectionClosed = Code(base: .connectionClosed)
        /// The connection was aborted; unacknowledged messages were discarded.
        public static let aborted = Code(base: .aborted)
        /// The peer broke the protocol (or exceeded its flow-control window).
        public static let protocolViolation = Code(base: .protocolViolation)
        /// An argument or configuration value is out of range.
        public static let invalidArgument = Code(base: .invalidArgument)
        /// The server shut down.
        public static let serverShutdown = Code(base: .serverShutdown)
        /// The two sides' packet security does not match: one side has a pre-shared key and the
        /// other has none, or they use different modes (authenticated vs encrypted). (A wrong key
        /// cannot be told apart from silence: it gives ``connectTimedOut``.)
        public static let securityMismatch = Code(base: .securityMismatch)
        /// A receive-memory limit closed the connection: this side's endpoint ran out of its
        /// receive-memory budget (`EndpointConfiguration.receiveMemoryBudget`) while this
        /// connection held the most, or the peer's did (it closed with CLOSE(resource limit)).
        public static let resourceLimit = Code(base: .resourceLimit)
        /// Nothing listens on the server's port: its host answered the CONNECT with ICMP port
        /// unreachable (only with ``RUDPConfiguration/failsWhenPortUnreachable``).
        public static let connectionRefused = Code(base: .connectionRefused)

        /// The code's stable name, for example `"peerClosed"`.
        public var description: String { base.rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// What happened, in words, for example "address 127.0.0.1:9000 is already in use".
    public var message: String

    /// Creates an error with a code and a message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }
}

extension RUDPError {
    /// The error that reports a connection that ended for `reason`, or nil if it ended cleanly.
    init?(closeReason reason: CloseReason) {
        switch reason.code {
        case .closedLocally:
            return nil
        case .aborted:
            self.init(.aborted, "connection aborted")
        case .peerClosed:
            let code = reason.peerCode ?? .normal, text = reason.detail ?? ""
            let suffix = text.isEmpty ? "" : ": \(text)"
            switch code {
            case .normal: return nil
            case .serverShutdown: self.init(.serverShutdown, "the server shut down\(suffix)")
            case .securityRequired:
                self.init(
                    .securityMismatch,
                    "the server requires packet security (it answered 'security required'): configure the same pre-shared key and security mode on this side"
                )
            case .securityNotConfigured:
                self.init(
                    .securityMismatch,
                    "the server has no packet security configured (it answered 'security not configured'), but this side uses a pre-shared key: configure the same key and mode on both sides, or none"
                )
            case .securityModeMismatch:
                self.init(
                    .securityMismatch,
                    "the server uses another security mode (it answered 'security mode mismatch'): configure the same mode (authenticated or encrypted) on both sides"
                )
            case .protocolViolation, .flowControlViolation:
                self.init(.protocolViolation, "the peer reported a protocol violation (\(code))\(suffix)")
            case .resourceLimit:
                self.init(
                    .resourceLimit,
                    "the peer closed the connection to free memory: its receive-memory budget was exhausted and this connection held the most\(suffix)"
                )
            case .applicationIdle:
                self.init(.idleTimeout, "the peer closed the connection after its application idle limit: no message either way\(suffix)")
            case .refused:
                self.init(
                    .peerClosed,
                    "the server refused the connection (too many connections, or too many from this address or network)\(suffix)")
            default: self.init(.peerClosed, "the peer closed the connection (\(code))\(suffix)")
            }
        case .connectTimedOut:
            self.init(.connectTimedOut, "connect timed out: the server did not answer")
        case .idleTimeout:
            self.init(.idleTimeout, "connection closed after the idle timeout: nothing received from the peer")
        case .peerUnreachable:
            self.init(.peerUnreachable, "peer unreachable: data went unacknowledged for the peer timeout")
        case .protocolViolation:
            self.init(.protocolViolation, "protocol violation: \(reason.detail ?? "")")
        case .flowControlViolation:
            self.init(.protocolViolation, "protocol violation: the peer exceeded the flow-control window")
        case .resourceLimit:
            self.init(
                .resourceLimit,
                "connection closed to free memory: this endpoint's receive-memory budget was exhausted and this connection held the most")
        case .applicationIdle:
            self.init(.idleTimeout, "connection closed after the application idle limit: no message sent or received")
        default:
            self.init(.aborted, "connection ended: \(reason)")  // a reason newer than this mapping
        }
    }

    /// The error for a send the engine refused.
    init(sendError: SendError) {
        switch sendError.code {
        case .messageTooLarge: self.init(.messageTooLarge, sendError.description)
        case .invalidChannel: self.init(.invalidArgument, sendError.description)
        default: self.init(.connectionClosed, sendError.description)  // closed, or send buffer full
        }
    }

    /// Sending on a connection that the application closed.
    static let closedLocally = RUDPError(.connectionClosed, "the connection is closed")
}
