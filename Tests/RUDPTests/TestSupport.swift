import Foundation
import NIOCore
@_spi(Testing) import RUDP

/// The configuration of these tests: the connect and peer timeouts are hang guards too (a
/// minute, not the seconds a real network would use), because a test process starved of CPU by
/// other tests must not look like an unreachable peer. A test that wants a timeout to expire
/// sets its own short one.
func testConfiguration(seed: UInt64 = 1) -> RUDPConfiguration {
    var configuration = RUDPConfiguration()
    configuration.lossSeed = seed  // connection IDs always come from the system's secure generator
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
                try await connection.send(message.buffer, channel: message.channel, mode: message.mode)
            }
        }
    }
}
