import NIOCore
import RUDP
import RUDPProxy

// An echo server behind a proxy that drops 10% of the datagrams in each direction.
let server = try await RUDPServer.bind(host: "127.0.0.1", port: 0)
let serving = Task {
    try await server.serve { connection in
        for try await message in connection.messages { try await connection.send(message.buffer) }
    }
}
let proxy = try await UDPProxy.start(
    listen: try SocketAddress(ipAddress: "127.0.0.1", port: 0),
    upstream: try SocketAddress(ipAddress: "127.0.0.1", port: server.port),
    configuration: ProxyConfiguration(impairments: .init(both: Impairments(loss: 0.1)), seed: 42))
let client = try await RUDPClient.connect(host: "127.0.0.1", port: proxy.localAddress.port ?? 0)
for n in 1...100 { try await client.send(ByteBuffer(string: "message \(n)")) }
var replies = 0
var inOrder = true
for try await reply in client.messages {
    replies += 1
    inOrder = inOrder && String(buffer: reply.buffer) == "message \(replies)"
    if replies == 100 { break }
}
print("\(replies) replies, \(inOrder ? "in order" : "out of order"), through the lossy proxy")
let up = await proxy.statistics().up
print("client to server: \(up.received) datagrams, \(up.dropped.loss) dropped")
try await client.close()
await proxy.shutdown()
await server.shutdown()
try await serving.value
