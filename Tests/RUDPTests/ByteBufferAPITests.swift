import NIOCore
import RUDP
import Testing

/// The public API with `ByteBuffer` messages over loopback sockets (issue 15, "one copy each
/// way"): sent as buffers (the echo server answers with the buffer it received), read back as
/// buffers, plain and encrypted, in one datagram and fragmented, in every delivery mode.
@Suite("ByteBuffer messages over loopback sockets")
struct ByteBufferAPITests {
    static let key = try! PreSharedKey(hexEncoded: String(repeating: "3c", count: 32), source: "test key")

    static func configuration(seed: UInt64, encrypted: Bool) -> RUDPConfiguration {
        var configuration = testConfiguration(seed: seed)
        configuration.security = encrypted ? SecurityConfiguration(mode: .encrypted, key: key) : nil
        return configuration
    }

    /// A buffer whose readable bytes are `payload`, behind a 4-byte header already read.
    static func buffer(_ payload: [UInt8]) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: payload.count + 4)
        buffer.writeInteger(UInt32(0xFEED_FACE))
        buffer.writeBytes(payload)
        _ = buffer.readInteger(as: UInt32.self)
        return buffer
    }

    @Test("Echo of ByteBuffer messages", arguments: [false, true])
    func echo(encrypted: Bool) async throws {
        let server = try await RUDPServer.bind(port: 0, configuration: Self.configuration(seed: 80, encrypted: encrypted))
        let serving = startEchoServer(server)
        defer { serving.cancel() }
        try await withHangGuard("ByteBuffer echo") {
            let client = try await RUDPClient.connect(
                host: "127.0.0.1", port: server.port, configuration: Self.configuration(seed: 81, encrypted: encrypted))
            var iterator = client.messages.makeAsyncIterator()
            for (index, size) in [1, 1_000, 5_000, 70_000].enumerated() {
                for mode in [DeliveryMode.reliableOrdered, .reliableUnordered] {
                    let payload = pseudoRandomBytes(count: size, seed: UInt64(index))
                    if mode == .reliableOrdered {
                        try await client.send(Self.buffer(payload), channel: 0, mode: mode)
                    } else {
                        try await client.sendAndWaitForAcknowledgement(Self.buffer(payload), channel: 0, mode: mode)
                    }
                    let reply = try #require(try await iterator.next())
                    #expect(reply.buffer == ByteBuffer(bytes: payload), "size \(size), \(mode), encrypted \(encrypted)")
                    #expect(reply.mode == mode)
                }
            }
            // Unreliable messages may be lost, even on loopback: each one that comes back is
            // intact; a reliable marker sent after them ends the wait.
            var sent: [ByteBuffer] = []
            for (index, size) in [100, 3_000].enumerated() {
                var payload = pseudoRandomBytes(count: size, seed: 100 + UInt64(index))
                payload[0] = UInt8(index)
                sent.append(ByteBuffer(bytes: payload))
                try await client.send(Self.buffer(payload), channel: 0, mode: .unreliable)
            }
            try await client.sendAndWaitForAcknowledgement(ByteBuffer(string: "end"))
            while let reply = try await iterator.next(), reply.mode == .unreliable {
                let index = Int(reply.buffer.getInteger(at: reply.buffer.readerIndex, as: UInt8.self) ?? 255)
                #expect(index < sent.count && reply.buffer == sent[index], "unreliable reply corrupted (encrypted \(encrypted))")
            }
            try await client.close()
        }
        await server.shutdown()
        try await withHangGuard("serve returns after shutdown") { try await serving.value }
    }
}
