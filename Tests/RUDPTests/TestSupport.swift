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
/// which is why the limit exceeds a whole loaded run of the suite.
///
/// ```swift
/// let reply = try await withHangGuard("echo") { try await client.messages.first { _ in true } }
/// ```
func withHangGuard<T: Sendable>(_ what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let limit = HangGuard.seconds
    let started = AsyncStream<Void>.makeStream()
    return try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask {
            started.continuation.yield()
            started.continuation.finish()
            return try await body()
        }
        group.addTask {
            for await _ in started.stream { break }
            try await Task.sleep(for: .seconds(limit))
            throw TimeoutError(seconds: limit, what: what)
        }
        defer { group.cancelAll() }
        return try await group.next()!
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
