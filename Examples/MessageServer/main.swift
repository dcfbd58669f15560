import RUDP

let server = try await RUDPServer.bind(host: "127.0.0.1", port: 0)  // port 0: any free port
let serving = Task {
    await server.serveMessages(
        accepted: { _ in print("accepted") },
        ended: { _ in print("ended") }
    ) { connection, message in
        try await connection.send(message.buffer, channel: message.channel, mode: message.mode)  // no copy
    }  // a task per connection only while it has messages
}
let client = try await RUDPClient.connect(host: "127.0.0.1", port: server.port)
try await client.send(Array("ping".utf8))
for try await reply in client.messages {
    print(String(buffer: reply.buffer))  // ping
    break
}
try await client.close()
await server.shutdown()
await serving.value  // returns once every connection has ended
