/// The timers of one connection (quinn-proto's `connection/timer.rs`).
///
/// Every deadline the connection has lives in one ``TimerTable``: ``ConnectionState/nextDeadline()``
/// is its minimum and ``ConnectionState/handleTimeout(at:)`` fires exactly the entries that are
/// due, so what is due and when to wake up can never disagree. Each handler clears its entry or
/// moves it past the time it ran at.
enum ConnectionTimer: Int, CaseIterable {
    /// Connecting (client): the connect timeout since the first CONNECT. Accepting (server): the
    /// idle timeout since the last CONNECT. Afterwards: the idle timeout since the last DATA
    /// packet recorded (`Specs/PROTOCOL.md` sections 7.2, 12.3).
    case idle
    /// Client, Connecting: the next CONNECT retransmission (section 7.2).
    case handshakeRetransmit
    /// Closing: the end of the wait for the peer's CLOSE or acknowledgement (section 16.1).
    case close
    /// The application idle limit (section 12.4).
    case applicationIdle
    /// The wait after the newest PATH_CHALLENGE (section 7.4).
    case pathValidation
    /// The delayed acknowledgement (max_ack_delay, section 9.2).
    case ack
    /// The loss timer (time threshold, section 11.1).
    case loss
    /// The retransmission timer (section 10.3).
    case retransmission
    /// The keep-alive PING (section 12.2).
    case keepAlive
    /// The pacer lets the next ack-eliciting packet go (section 15.2).
    case pacing
}

/// A fixed table of optional deadlines, one per ``ConnectionTimer``, in integer nanoseconds.
struct TimerTable {
    static let count = 10
    /// `UInt64.max` marks a timer that is not armed (a deadline at the end of time never fires).
    private var deadlines = InlineArray<10, UInt64>(repeating: .max)

    init() {}

    /// The deadline of `timer`, or nil when it is not armed.
    subscript(timer: ConnectionTimer) -> UInt64? {
        @inline(__always) get {
            let deadline = deadlines[timer.rawValue]
            return deadline == .max ? nil : deadline
        }
        @inline(__always) set { deadlines[timer.rawValue] = newValue ?? .max }
    }

    /// Whether `timer` is armed and due at `now`.
    @inline(__always)
    func isDue(_ timer: ConnectionTimer, at now: UInt64) -> Bool {
        let deadline = deadlines[timer.rawValue]
        return deadline != .max && deadline <= now
    }

    /// The earliest armed deadline, or nil.
    var next: UInt64? {
        var earliest = UInt64.max
        for index in 0..<Self.count where deadlines[index] < earliest { earliest = deadlines[index] }
        return earliest == .max ? nil : earliest
    }

    /// Disarms every timer.
    mutating func stopAll() {
        for index in 0..<Self.count { deadlines[index] = .max }
    }
}
