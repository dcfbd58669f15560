import RUDP
import Testing

@Suite("Server shutdown")
struct ServerShutdownTests {
    @Test("Stopping the server while clients are active gives them a clean RUDPError, no hang")
    func shutdownWhileActive() async throws {
        let server = try await RUDPServer.bind(port: 0, configuration: testConfiguration(seed: 40))
        let serving = startEchoServer(server)
        let port = server.port
        let clients = try await withHangGuard("connect clients") {
            try await withThrowingTaskGroup(of: RUDPConnection.self) { group in
                for i in 0..<5 {
                    group.addTask {
                        try await RUDPClient.connect(host: "127.0.0.1", port: port, configuration: testConfiguration(seed: 41 + UInt64(i)))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        // Each client keeps a request/reply loop going until the connection fails.
        let loops = clients.map { client in
            Task { () -> RUDPError? in
                var iterator = client.messages.makeAsyncIterator()
                do {
                    while true {
                        try await client.send(Array("ping".utf8))
                        guard try await iterator.next() != nil else { return nil }
                    }
                } catch let error as RUDPError {
                    return error
                } catch {
                    return RUDPError(.invalidArgument, "unexpected error type: \(error)")
                }
            }
        }
        try await Task.sleep(for: .milliseconds(200))
        await server.shutdown()
        try await withHangGuard("serve returns after shutdown") { try await serving.value }
        for loop in loops {
            let error = try await withHangGuard("client notices the shutdown") { await loop.value }
            #expect(error?.code == .serverShutdown, "got \(String(describing: error))")
        }
        for client in clients {
            #expect(await client.closeReason() == .peerClosed(.serverShutdown, "server shutting down"))
        }
    }
}
