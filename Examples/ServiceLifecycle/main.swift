import Logging
import RUDP
import RUDPServiceLifecycle
import ServiceLifecycle

// The server as a swift-service-lifecycle Service: SIGTERM or SIGINT shut it down gracefully.
let server = try await RUDPServer.bind(host: "127.0.0.1", port: 0)
let group = ServiceGroup(
    services: [
        server.service { connection in
            for try await message in connection.messages {
                try await connection.send(message.buffer)  // echo, no copy
            }
        }
    ], gracefulShutdownSignals: [.sigterm, .sigint], logger: Logger(label: "echo"))

try await withThrowingTaskGroup(of: Void.self) { tasks in
    tasks.addTask { try await group.run() }
    // A scoped connection: closed, with its socket, when the closure ends (also by an error).
    let reply = try await RUDPClient.withConnection(host: "127.0.0.1", port: server.port) { connection in
        try await connection.send(Array("ping".utf8))
        var replies = connection.messages.makeAsyncIterator()
        return try await replies.next().map { String(buffer: $0.buffer) }
    }
    print(reply ?? "no reply")  // ping
    await group.triggerGracefulShutdown()  // as SIGTERM would
    try await tasks.waitForAll()
}
print("stopped")
