import Foundation
import NIOCore
import RUDP

/// A wait that took longer than its bound.
struct TimeoutError: Error, CustomStringConvertible {
    var seconds: Double
    var what: String
    var description: String { "timed out after \(seconds) s: \(what)" }
}

/// Runs `body`, failing with ``TimeoutError`` after `seconds` (the body is cancelled), so no test can hang.
func withTimeout<T: Sendable>(_ seconds: Double, _ what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            throw TimeoutError(seconds: seconds, what: what)
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}

/// A configuration with short timers so failures surface quickly in tests. `seed` seeds the
/// injected-loss generator (connection IDs always come from the system's secure generator).
func testConfiguration(seed: UInt64 = 1) -> RUDPConfiguration {
    var configuration = RUDPConfiguration()
    configuration.lossSeed = seed
    configuration.connection.connectTimeout = .seconds(5)
    configuration.connection.peerTimeout = .seconds(5)
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
