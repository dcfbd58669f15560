import Foundation
import NIOCore
import RUDP

/// A wait that took longer than its bound.
struct TimeoutError: Error, CustomStringConvertible {
    var seconds: Double
    var what: String
    var description: String { "hang guard: still running \(seconds) s after it started: \(what)" }
}

/// The time limits of these tests: hang guards only, far above any run on a loaded machine, so
/// that a test fails on behaviour and never because other tests held the CPU. Tests assert
/// behaviour, not wall time. `RUDP_TEST_TIME_SCALE` multiplies the limit.
enum HangGuard {
    /// `RUDP_TEST_TIME_SCALE`, 1 unless set.
    static let scale: Double = ProcessInfo.processInfo.environment["RUDP_TEST_TIME_SCALE"].flatMap(Double.init) ?? 1
    /// The longest a guarded operation may run once it started: 30 minutes. A guarded body is
    /// queued again behind the other tests at every `await`, so a test that starts early can take
    /// as long as the whole loaded suite: beside `stress-ng --cpu 4` the socket tests' few seconds
    /// of work took 460 to 760 s, the length of the run, and a 10-minute guard fired once.
    static let seconds: Double = 1800 * scale
}

/// Runs `body`, failing with ``TimeoutError`` if it is still running ``HangGuard/seconds``
/// after it *started* (the body is then cancelled), so no test can hang. The clock starts when
/// the body first runs, not when it was queued; later waits for the cooperative pool do count,
/// which is why the limit exceeds a whole loaded run of the suite. The guard returns at its
/// limit even if the body ignores cancellation (a stuck transfer does): the body runs in an
/// unstructured task that is left behind, not awaited, so the test fails instead of hanging.
///
/// ```swift
/// let reply = try await withHangGuard("echo") { try await client.messages.first { _ in true } }
/// ```
func withHangGuard<T: Sendable>(_ what: String, limit: Double = HangGuard.seconds,
                                 _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let outcome = FirstOutcome<T>()
    return try await withTaskCancellationHandler {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            outcome.install(continuation)
            let work = Task {
                let timer = Task {
                    try await Task.sleep(for: .seconds(limit))
                    outcome.finish(.failure(TimeoutError(seconds: limit, what: what)))
                }
                outcome.onFinish { timer.cancel() }
                let result: Result<T, any Error>
                do { result = .success(try await body()) } catch { result = .failure(error) }
                outcome.finish(result)
            }
            outcome.onFinish { work.cancel() }
        }
    } onCancel: {
        outcome.finish(.failure(CancellationError()))
    }
}

/// The first of several racing results, delivered once to a continuation; later ones are
/// dropped. Actions registered with `onFinish` run once the result is in (at once if it is).
final class FirstOutcome<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, any Error>?
    private var pending: Result<T, any Error>?
    private var finished = false
    private var actions: [@Sendable () -> Void] = []

    func install(_ continuation: CheckedContinuation<T, any Error>) {
        lock.lock()
        if let pending {
            self.pending = nil
            lock.unlock()
            continuation.resume(with: pending)
            return
        }
        self.continuation = continuation
        lock.unlock()
    }

    func finish(_ result: Result<T, any Error>) {
        lock.lock()
        if finished { lock.unlock(); return }
        finished = true
        let continuation = self.continuation
        self.continuation = nil
        if continuation == nil { pending = result }
        let actions = self.actions
        self.actions = []
        lock.unlock()
        continuation?.resume(with: result)
        for action in actions { action() }
    }

    func onFinish(_ action: @escaping @Sendable () -> Void) {
        lock.lock()
        if finished { lock.unlock(); action(); return }
        actions.append(action)
        lock.unlock()
    }
}

/// The former name of ``withHangGuard(_:_:)``, kept so older call sites compile: `seconds` is
/// only a floor, the limit is at least ``HangGuard/seconds``.
func withTimeout<T: Sendable>(_ seconds: Double, _ what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withHangGuard(what, body)
}

/// The configuration of these tests: the connect and peer timeouts are hang guards too (a
/// minute, not the seconds a real network would use), because a test process starved of CPU by
/// other tests must not look like an unreachable peer. A test that wants a timeout to expire
/// sets its own short one.
func testConfiguration(seed: UInt64 = 1) -> RUDPConfiguration {
    var configuration = RUDPConfiguration()
    configuration.lossSeed = seed   // connection IDs always come from the system's secure generator
    configuration.connection.connectTimeout = .seconds(60)
    configuration.connection.peerTimeout = .seconds(60)
    configuration.connection.idleTimeout = .seconds(120)
    return configuration
}

/// Deterministic pseudo-random bytes.
func pseudoRandomBytes(count: Int, seed: UInt64) -> [UInt8] {
    var generator = SeededGenerator(seed: seed)
    var bytes = [UInt8](repeating: 0, count: count)
    var i = 0
    while i < count {
        var word = generator.next()
        for _ in 0..<8 where i < count {
            bytes[i] = UInt8(truncatingIfNeeded: word)
            word >>= 8
            i += 1
        }
    }
    return bytes
}

/// FNV-1a over a sequence of chunks: equal for equal concatenations.
struct Checksum: Equatable, CustomStringConvertible {
    var value: UInt64 = 0xcbf2_9ce4_8422_2325
    var count = 0
    mutating func add(_ bytes: [UInt8]) {
        for b in bytes {
            value ^= UInt64(b)
            value &*= 0x100_0000_01b3
        }
        count += bytes.count
    }
    var description: String { "\(count) bytes, fnv1a \(String(value, radix: 16))" }
}

/// Echoes every message on every accepted connection until the server shuts down.
func startEchoServer(_ server: RUDPServer) -> Task<Void, any Error> {
    Task {
        try await server.serve { connection in
            for try await message in connection.messages {
                try await connection.send(message.bytes, channel: message.channel, mode: message.mode)
            }
        }
    }
}
