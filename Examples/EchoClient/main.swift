import RUDP

let connection = try await RUDPClient.connect(host: "127.0.0.1", port: 9000)
try await connection.send(ByteBuffer(string: "Alice"))  // reliable, ordered, channel 0
try await connection.send(Array("position 3,4".utf8), channel: 1, mode: .unreliable)  // [UInt8] works too
for try await reply in connection.messages {
    print(String(buffer: reply.buffer))  // Hello, Alice!
    break
}
try await connection.waitUntilAllAcknowledged()
print(await connection.statistics().smoothedRoundTripTime)  // e.g. 0.000152 seconds
try await connection.close()
