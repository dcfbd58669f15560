import NIOCore
import RUDP
import Testing

@Suite("Connecting")
struct ConnectingTests {
    @Test("A client started before the server still connects")
    func clientBeforeServer() async throws {
        // Find a free port, release it, and start the client against it before the server
        // exists. Another test's socket may grab the released port first: then try another.
        for attempt in 1...5 {
            let probe = try await RUDPServer.bind(port: 0)
            let port = probe.port
            await probe.shutdown()
            let connecting = Task {
                try await RUDPClient.connect(host: "127.0.0.1", port: port, configuration: testConfiguration(seed: 21))
            }
            try await Task.sleep(for: .milliseconds(400))
            let server: RUDPServer
            do {
                server = try await RUDPServer.bind(port: port, configuration: testConfiguration(seed: 20))
            } catch let error as RUDPError where error.code == .addressInUse && attempt < 5 {
                connecting.cancel()
                continue
            }
            let serving = startEchoServer(server)
            try await withHangGuard("late server") {
                let client = try await connecting.value
                try await client.send(Array("late".utf8))
                var iterator = client.messages.makeAsyncIterator()
                #expect(try await iterator.next()?.bytes == Array("late".utf8))
                try await client.close()
            }
            await server.shutdown()
            try await withHangGuard("serve returns") { try await serving.value }
            return
        }
    }

    @Test("1,000 concurrent clients all get their replies")
    func thousandClients() async throws {
        // The tests' hang-guard timers (a minute): on two shared cores, with other work beside
        // it, a debug build with 1,001 endpoints in one process can go many seconds between
        // turns for one connection, which even the default 10 s peer timeout called an
        // unreachable peer (seen at load 13).
        @Sendable func configuration(seed: UInt64) -> RUDPConfiguration {
            testConfiguration(seed: seed)
        }
        let server = try await RUDPServer.bind(port: 0, configuration: configuration(seed: 30))
        let serving = startEchoServer(server)
        let port = server.port
        let clientCount = 1000
        let replies = try await withHangGuard("1000 clients") {
            // Open all 1,000 connections (at most 100 handshakes in flight, so a debug build on
            // two shared cores is not buried under its own CONNECT retransmissions) ...
            let clients = try await withThrowingTaskGroup(of: RUDPConnection.self) { group in
                var clients: [RUDPConnection] = []
                for i in 0..<clientCount {
                    if i >= 100, let client = try await group.next() { clients.append(client) }
                    group.addTask {
                        try await RUDPClient.connect(host: "127.0.0.1", port: port, configuration: configuration(seed: 1000 + UInt64(i)))
                    }
                }
                for try await client in group { clients.append(client) }
                return clients
            }
            // ... then every client sends its request at once and waits for its reply.
            return try await withThrowingTaskGroup(of: Bool.self) { group in
                for (i, client) in clients.enumerated() {
                    group.addTask {
                        let request = Array("client \(i)".utf8)
                        try await client.send(request)
                        var iterator = client.messages.makeAsyncIterator()
                        let reply = try await iterator.next()
                        try await client.close()
                        return reply?.bytes == request
                    }
                }
                var correct = 0
                for try await ok in group where ok { correct += 1 }
                return correct
            }
        }
        #expect(replies == clientCount)
        let statistics = await server.statistics()
        #expect(statistics.connectionsAccepted == clientCount)
        await server.shutdown()
        try await withHangGuard("serve returns") { try await serving.value }
    }
}
