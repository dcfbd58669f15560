/// A connection's part of path validation (`Specs/PROTOCOL.md` section 7.4): the challenges a
/// server sent towards a candidate peer address, their timer, and the answer owed to a
/// challenge from the peer. It knows no addresses: the ``Endpoint`` keeps the candidate address
/// and its byte budget, decides when a validation starts, and sends the challenges there.
///
/// One validation at a time: starting a new one (a new candidate) forgets the data of the
/// previous one, so a response to an older challenge no longer matches.
///
/// The wait after the newest challenge is the connection's ``ConnectionTimer/pathValidation``
/// timer: armed when a challenge is sent, disarmed by every other change here.
struct PathValidation {
    /// Whether a validation is under way (the endpoint has a candidate address).
    private(set) var isActive = false
    /// A challenge is owed now: the first of a validation, or a re-send whose timer expired.
    private(set) var challengeDue = false
    /// Challenges sent in the current validation.
    private(set) var challengesSent = 0
    /// The data of the challenges sent in the current validation (at most `attempts` values,
    /// allocated when a validation starts, never per packet).
    private var outstanding: [UInt64] = []
    /// The data of the newest challenge received from the peer and not answered yet.
    var responseOwed: UInt64?

    /// Starts a validation (replacing any under way): the first challenge is due now.
    mutating func start(attempts: Int) {
        isActive = true
        challengeDue = true
        challengesSent = 0
        outstanding.removeAll(keepingCapacity: true)
        outstanding.reserveCapacity(attempts)
    }

    /// Ends the validation (it succeeded, was abandoned or was replaced by the endpoint).
    mutating func stop() {
        isActive = false
        challengeDue = false
        outstanding.removeAll(keepingCapacity: false)
    }

    /// Records a challenge carrying `data` as sent (the connection arms the timer).
    mutating func sent(_ data: UInt64) {
        challengeDue = false
        challengesSent += 1
        outstanding.append(data)
    }

    /// Whether `data` is that of a challenge of the current validation.
    func matches(_ data: UInt64) -> Bool {
        isActive && outstanding.contains(data)
    }

    /// The wait after the `n`-th challenge (1-based): `base` doubled for each earlier one,
    /// capped at `maximum`.
    static func interval(after n: Int, base: UInt64, maximum: UInt64) -> UInt64 {
        let shift = UInt64(max(0, min(n - 1, 20)))
        let (doubled, overflow) = base.multipliedReportingOverflow(by: 1 << shift)
        return overflow ? maximum : min(doubled, maximum)
    }

    /// The timer expired: another challenge is due, or (all `attempts` sent) the validation is
    /// abandoned. Returns whether it was abandoned.
    mutating func timerExpired(attempts: Int) -> Bool {
        guard isActive else { return false }
        if challengesSent < attempts {
            challengeDue = true
            return false
        }
        stop()
        return true
    }
}
