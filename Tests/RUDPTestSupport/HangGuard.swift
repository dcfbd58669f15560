import Foundation
@_exported import TimeLimit

/// The only time limits of the tests: hang guards, far above any run on a loaded machine, so
/// that a test fails on behaviour and never because other tests held the CPU. Tests assert
/// behaviour, not wall time. `RUDP_TEST_TIME_SCALE` multiplies them (e.g. 3 on a very slow
/// machine). Limits that are part of what a test checks (a `--timeout` that must expire) are
/// not hang guards and stay as they are.
///
/// Every wait of a child process (its exit, an output line) uses one of these instead of a
/// literal, and runs on threads of its own (``ChildProcess``), so queueing behind other tests for
/// the cooperative pool does not count.
///
/// ```swift
/// let reply = try await withHangGuard("echo") { try await client.messages.first { _ in true } }
/// let line = try await server.line(containing: "listening on", within: HangGuard.processSeconds)
/// ```
public enum HangGuard {
    /// `RUDP_TEST_TIME_SCALE`, 1 unless set.
    public static let scale: Double = ProcessInfo.processInfo.environment["RUDP_TEST_TIME_SCALE"].flatMap(Double.init) ?? 1

    /// The longest a guarded operation may run once it started: 30 minutes. A guarded body is
    /// queued again behind the other tests at every `await`, so a test that starts early can take
    /// as long as the whole loaded suite: beside `stress-ng --cpu 4` the socket tests' few seconds
    /// of work took 460 to 760 s, the length of the run, and a 10-minute guard fired once.
    public static let seconds: Double = 1800 * scale

    /// For one process to start, print a line or exit, or a condition to hold: 15 minutes.
    public static let processSeconds: Double = 900 * scale

    /// For a whole transfer or benchmark process: 30 minutes. The test's own side of a transfer
    /// waits behind the other tests for the cooperative pool, so under load it can take as long
    /// as the whole suite (460 to 760 s beside `stress-ng --cpu 4`).
    public static let transferSeconds: Double = 1800 * scale
}

/// Runs `body`, failing with `TimeLimitExceeded` if it is still running `limit` seconds
/// (``HangGuard/seconds`` unless given) after it *started*: `withTimeLimit`, the package's one
/// time limit, which returns at its limit even if the body ignores cancellation, so no test can
/// hang.
///
/// ```swift
/// let reply = try await withHangGuard("echo") { try await client.messages.first { _ in true } }
/// ```
public func withHangGuard<T: Sendable>(
    _ what: String, limit: Double = HangGuard.seconds,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withTimeLimit(seconds: limit, "hang guard: \(what)", body)
}
