import RUDP

/// The command-line tool's one clock is `ContinuousClock` (monotonic, shared by every task and
/// thread of the process): elapsed times are `ContinuousClock.now - start`, as `Duration`s.
/// `rudp bench` also needs the time as a number, to stamp it into a message's first 8 bytes:
/// ``processNanoseconds()`` is that number, comparable within one process (the bench's client
/// and server run in one).
///
/// ```swift
/// let start = ContinuousClock.now
/// let seconds = (ContinuousClock.now - start) / .seconds(1)
/// let stamp = ContinuousClock.processNanoseconds()
/// ```
extension ContinuousClock {
    /// The instant the process first asked for ``processNanoseconds()``.
    private static let processStart = ContinuousClock.now

    /// Nanoseconds on this clock since the process first asked (0 then).
    static func processNanoseconds() -> UInt64 {
        (now - processStart).nanosecondsClamped
    }
}
