import Foundation

/// The only time limits of the CLI tests: hang guards, far above any run on a loaded machine,
/// so a test fails on behaviour and never because other work held the CPU.
///
/// Every wait of a process (its exit, an output line) uses one of these instead of a literal,
/// and runs on a thread of its own, so queueing behind other tests for the
/// cooperative pool does not count. `RUDP_TEST_TIME_SCALE` multiplies them (e.g. 3 on a very
/// slow machine). Limits that are part of what a test checks (a `--timeout` that must expire)
/// are not hang guards and stay as they are.
///
/// ```swift
/// let line = try server.waitForOutputLine(containing: "listening on", seconds: HangGuard.processSeconds)
/// ```
enum HangGuard {
    /// `RUDP_TEST_TIME_SCALE`, 1 unless set.
    static let scale: Double = ProcessInfo.processInfo.environment["RUDP_TEST_TIME_SCALE"].flatMap(Double.init) ?? 1

    /// For one process to start, print a line or exit, or a condition to hold: 15 minutes.
    static let processSeconds: Double = 900 * scale

    /// For a whole transfer or benchmark process: 30 minutes. The test's own side of a transfer
    /// waits behind the other tests for the cooperative pool, so under load it can take as long
    /// as the whole suite (460 to 760 s beside `stress-ng --cpu 4`).
    static let transferSeconds: Double = 1800 * scale
}
