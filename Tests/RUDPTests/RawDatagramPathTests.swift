import NIOCore
import Testing

@testable import RUDP

/// The raw-UDP baseline of `rudp bench --baseline` (`RawDatagramPath`): real loopback sockets,
/// every datagram accounted for, the send budget bounding what is outstanding, and the queue
/// shaping GSO runs as the engine's output does.
@Suite("Raw-UDP baseline path")
struct RawDatagramPathTests {
    /// A message of `size` bytes stamped as `rudp bench` stamps it: bytes 8..<16 hold `sequence`.
    static func stamped(_ sequence: UInt64, size: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0xA5, count: size)
        for index in 0..<8 { bytes[8 + index] = UInt8(truncatingIfNeeded: sequence >> UInt64(8 * index)) }
        return bytes
    }

    static func sequence(of bytes: [UInt8]) -> UInt64 {
        (8..<16).reversed().reduce(0) { $0 << 8 | UInt64(bytes[$1]) }
    }

    @Test("Every datagram is read once and in order on loopback, and the budget is freed", arguments: ["127.0.0.1", "::1"])
    func everyDatagramArrives(host: String) async throws {
        var configuration = ConnectionConfiguration()
        configuration.sendBufferMessages = 16  // a small window: the sender waits for the receiver often
        // No datagram counts as lost before the hang guard: a loaded run can starve the
        // receiving loop for seconds (the 1 s default fired in a suite run at load 20).
        let path = try await RawDatagramPath.open(
            host: host, configuration: configuration,
            lossTimeout: .seconds(Int64(HangGuard.seconds)))
        let count = 3_000
        let received = try await withHangGuard("raw baseline on \(host)") {
            let receiving = Task { () throws -> [UInt64] in
                var sequences: [UInt64] = []
                for try await message in path.receiver.messages {
                    #expect(message.bytes.count == 1024)
                    sequences.append(Self.sequence(of: message.bytes))
                }
                return sequences
            }
            for sequence in 0..<count {
                try await path.sender.send(Self.stamped(UInt64(sequence), size: 1024))
            }
            try await path.sender.waitUntilAllAcknowledged()
            path.receiver.finish()
            return try await receiving.value
        }
        let statistics = await path.statistics()
        await path.close()
        #expect(statistics.datagramsSent == count)
        // Loopback with a window of 16 datagrams far below the socket buffer: nothing is lost.
        #expect(statistics.datagramsReceived == count, "\(statistics)")
        #expect(statistics.datagramsTimedOut == 0)
        #expect(received == (0..<UInt64(count)).map { $0 }, "received \(received.count) of \(count), out of order or missing")
    }

    @Test("Messages larger than a datagram or empty are refused")
    func refusesUnsendableMessages() async throws {
        let path = try await RawDatagramPath.open(configuration: ConnectionConfiguration())
        await #expect(throws: RUDPError.self) { try await path.sender.send([]) }
        await #expect(throws: RUDPError.self) {
            try await path.sender.send([UInt8](repeating: 0, count: path.sender.maximumMessageSize + 1))
        }
        await path.close()
        await #expect(throws: RUDPError.self) { try await path.sender.send([1, 2, 3]) }
    }

    @Test("The queue writes runs of equal-sized datagrams, a shorter one ending a run")
    func queueShapesSegmentationRuns() throws {
        let peer = try #require(PeerAddress(try SocketAddress(ipAddress: "127.0.0.1", port: 9)))
        var queue = RawDatagramQueue(destination: peer)
        for size in [100, 100, 100, 40, 100, 100, 200] { queue.append(ByteBuffer(repeating: UInt8(size & 0xFF), count: size)) }
        var buffer = [UInt8](repeating: 0, count: 1_000)
        var transmits: [Transmit] = []
        while let transmit = buffer.withUnsafeMutableBytes({ queue.poll(into: $0, maxSegments: 32) }) {
            transmits.append(transmit)
            #expect(buffer[0] == UInt8(transmit.segmentSize & 0xFF))
        }
        #expect(transmits.map(\.segmentCount) == [4, 2, 1])
        #expect(transmits.map(\.segmentSize) == [100, 100, 200])
        #expect(transmits.map(\.byteCount) == [340, 200, 200])
        #expect(transmits.allSatisfy { $0.destination == peer })
        // At most maxSegments per run, and no more than fits.
        for _ in 0..<10 { queue.append(ByteBuffer(repeating: 1, count: 300)) }
        let limited = buffer.withUnsafeMutableBytes { queue.poll(into: $0, maxSegments: 2) }
        #expect(limited?.segmentCount == 2)
        let fitting = buffer.withUnsafeMutableBytes { queue.poll(into: $0, maxSegments: 32) }
        #expect(fitting?.segmentCount == 3 && fitting?.byteCount == 900)
        #expect(queue.count == 5)
    }
}
