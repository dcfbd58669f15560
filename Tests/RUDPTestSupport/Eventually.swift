/// Checks `condition` every `interval` until it holds or `seconds` pass, and returns whether it
/// held at the last check: the tests' one "wait until" loop (a process is gone, a counter
/// reached a value, a scrape shows a change). The caller asserts the outcome with its own
/// message (`#expect`, `#require`, or a ``ChildProcess/Failure``).
///
/// `seconds` is a hang guard (``HangGuard/processSeconds`` unless given), like every time limit
/// of the tests: on a loaded machine a test waits longer, it does not fail. The clock is
/// `ContinuousClock`, started at the first check. Cancellation (a `withTimeLimit` or
/// ``withHangGuard(_:limit:_:)`` that ran out) ends the wait with `CancellationError`.
///
/// ```swift
/// let gone = try await eventually { kill(pid, 0) != 0 }
/// #expect(gone, "the worker outlived its parent")
/// ```
@discardableResult
public func eventually(
    within seconds: Double = HangGuard.processSeconds, every interval: Duration = .milliseconds(10),
    _ condition: () async throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while true {
        if try await condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        try await Task.sleep(for: interval)
    }
}

/// ``eventually(within:every:_:)`` for tests that drive sockets or engines by hand on the
/// calling thread: runs `step` (a round of work, which waits a moment itself when there was
/// none) until `condition` holds or `seconds` pass; returns whether it held at the last check.
///
/// ```swift
/// let answered = eventually(within: HangGuard.processSeconds) { swarm.received.count == 32 } stepping: {
///     if !swarm.step() { usleep(500) }
/// }
/// ```
@discardableResult
public func eventually(
    within seconds: Double = HangGuard.processSeconds, _ condition: () throws -> Bool, stepping step: () throws -> Void
) rethrows -> Bool {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while true {
        if try condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        try step()
    }
}
