import RUDPWire

/// Where a connection is in its life (`Specs/PROTOCOL.md` section 7.3), each case carrying the
/// data that is valid in it: the handshake's randoms and cookie only while connecting or
/// accepting, the CLOSE being sent only while closing or draining, the reason only once closed.
enum ConnectionPhase {
    /// Client: CONNECT sent, waiting for ACCEPT.
    case connecting(ClientHandshake)
    /// Server: ACCEPT sent, waiting for the client's first DATA packet.
    case accepting(ServerHandshake)
    /// Handshake complete; messages flow both ways.
    case established
    /// Graceful close: CLOSE sent after everything was acknowledged; waiting for the peer.
    case closing(Closing)
    /// A final CLOSE is about to be sent (peer closed, abort, protocol violation).
    case draining(Draining)
    /// Finished; no further output.
    case closed(CloseReason)

    /// The public view of the phase.
    var state: Connection.State {
        switch self {
        case .connecting: return .connecting
        case .accepting: return .accepting
        case .established: return .established
        case .closing: return .closing
        case .draining: return .draining
        case .closed: return .closed
        }
    }

    @inline(__always) var isEstablished: Bool { if case .established = self { return true } else { return false } }
    @inline(__always) var isClosing: Bool { if case .closing = self { return true } else { return false } }
    @inline(__always) var isDraining: Bool { if case .draining = self { return true } else { return false } }
    @inline(__always) var isClosed: Bool { if case .closed = self { return true } else { return false } }
    /// Connecting or Accepting.
    @inline(__always) var isHandshaking: Bool {
        switch self {
        case .connecting, .accepting: return true
        default: return false
        }
    }
}

/// The client's handshake state while Connecting (`Specs/PROTOCOL.md` sections 4.5, 7.2, 20.3).
struct ClientHandshake {
    /// Secure mode: the 32-byte random of this attempt (empty in plain mode).
    var clientRandom: [UInt8]
    /// The cookie of the latest RETRY, echoed in every later CONNECT.
    var retryCookie: [UInt8] = []
    /// CONNECT retransmissions so far (the backoff exponent).
    var attempts = 0
    /// A CONNECT is owed.
    var sendPending = true
    /// Secure client: a CLOSE in clear reporting a security mismatch or refusal. Not
    /// authenticated, so only a diagnostic for the connect timeout.
    var diagnostic: CloseFrame?
}

/// The server's handshake state while Accepting (`Specs/PROTOCOL.md` section 7.2).
struct ServerHandshake {
    /// Secure mode: the 32-byte random sent in ACCEPT (empty in plain mode).
    var serverRandom: [UInt8]
    /// An ACCEPT is owed (the first, or the answer to a retransmitted CONNECT).
    var sendPending = true
}

/// A graceful close in progress (`Specs/PROTOCOL.md` section 16.1).
struct Closing {
    /// The CLOSE(normal) this side sends.
    var frame: CloseFrame
    /// The CLOSE is to be sent (again): at first, and after a packet that carried it was
    /// declared lost or repeated by a probe.
    var sendPending: Bool
}

/// A final CLOSE waiting to be sent, after which the connection finishes (`Specs/PROTOCOL.md`
/// sections 16.2–16.4; the reference's short Draining).
struct Draining {
    var frame: CloseFrame
    /// The reason the connection ends with once the CLOSE has gone.
    var reason: CloseReason
    /// Whether the CLOSE carries the pending ACK: yes when answering the peer's CLOSE or
    /// aborting, no after a protocol or flow-control violation.
    var acknowledges: Bool
}
