import RUDP
import Synchronization
import Testing

/// `RUDPServer.serveMessages`: messages handled per connection in order without a task per
/// connection, the accepted and ended hooks, and a failing handler aborting only its connection.
@Suite("serveMessages over loopback sockets")
struct ServeMessagesTests {
    /// Counts the hooks' calls.
    final class Hooks: Sendable {
        let counts = Mutex((accepted: 0, ended: 0))
        var accepted: Int { counts.withLock { $0.accepted } }
        var ended: Int { counts.withLock { $0.ended } }
    }

    @Test("Each connection's messages come in order; the hooks run once per connection")
    func echoesInOrderAndReportsEnds() async throws {
        let server = try await RUDPServer.bind(host: "127.0.0.1", port: 0, configuration: testConfiguration(seed: 40))
        let hooks = Hooks()
        let serving = Task {
            await server.serveMessages(
                accepted: { _ in hooks.counts.withLock { $0.accepted += 1 } },
                ended: { _ in hooks.counts.withLock { $0.ended += 1 } }
            ) { connection, message in
                try await connection.send(message.bytes, channel: message.channel, mode: message.mode)
            }
        }
        defer { serving.cancel() }
        try await withHangGuard("three clients echo through serveMessages") {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in 0..<3 {
                    group.addTask {
                        let connection = try await RUDPClient.connect(
                            host: "127.0.0.1", port: server.port,
                            configuration: testConfiguration(seed: 41 + UInt64(client)))
                        let payloads = (0..<40).map { pseudoRandomBytes(count: 1 + $0 * 97, seed: UInt64(client * 100 + $0)) }
                        for payload in payloads { try await connection.send(payload) }
                        var iterator = connection.messages.makeAsyncIterator()
                        for payload in payloads {
                            let reply = try await iterator.next()
                            #expect(reply?.bytes == payload)
                        }
                        try await connection.close()
                    }
                }
                try await group.waitForAll()
            }
        }
        try await withHangGuard("every connection ended") {
            while hooks.ended < 3 { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(hooks.accepted == 3)
        #expect(hooks.ended == 3)
        await server.shutdown()
        try await withHangGuard("serveMessages returns after shutdown") { await serving.value }
    }

    struct HandlerFailure: Error {}

    @Test("A handler that throws aborts its own connection only")
    func failingHandlerAbortsItsConnection() async throws {
        let server = try await RUDPServer.bind(host: "127.0.0.1", port: 0, configuration: testConfiguration(seed: 50))
        let serving = Task {
            await server.serveMessages { connection, message in
                if message.bytes == Array("fail".utf8) { throw HandlerFailure() }
                try await connection.send(message.bytes)
            }
        }
        defer { serving.cancel() }
        try await withHangGuard("one connection aborted, the other served") {
            let failing = try await RUDPClient.connect(host: "127.0.0.1", port: server.port, configuration: testConfiguration(seed: 51))
            let healthy = try await RUDPClient.connect(host: "127.0.0.1", port: server.port, configuration: testConfiguration(seed: 52))
            try await failing.send(Array("fail".utf8))
            var failed = false
            do {
                for try await _ in failing.messages {}
            } catch {
                failed = true
            }
            #expect(failed)
            #expect(await failing.closeReason() == .peerClosed(.aborted, ""))
            try await healthy.send(Array("still here".utf8))
            var iterator = healthy.messages.makeAsyncIterator()
            #expect(try await iterator.next()?.bytes == Array("still here".utf8))
            try await healthy.close()
        }
        await server.shutdown()
        try await withHangGuard("serveMessages returns after shutdown") { await serving.value }
    }

    @Test("Shutdown ends idle connections and returns")
    func shutdownEndsIdleConnections() async throws {
        let server = try await RUDPServer.bind(host: "127.0.0.1", port: 0, configuration: testConfiguration(seed: 60))
        let hooks = Hooks()
        let serving = Task {
            await server.serveMessages(
                accepted: { _ in hooks.counts.withLock { $0.accepted += 1 } },
                ended: { _ in hooks.counts.withLock { $0.ended += 1 } }
            ) { _, _ in }
        }
        defer { serving.cancel() }
        let client = try await withHangGuard("connect") {
            try await RUDPClient.connect(host: "127.0.0.1", port: server.port, configuration: testConfiguration(seed: 61))
        }
        try await withHangGuard("the server adopted the connection") {
            while hooks.accepted < 1 { try await Task.sleep(for: .milliseconds(20)) }
        }
        await server.shutdown()
        try await withHangGuard("serveMessages returns after shutdown") { await serving.value }
        #expect(hooks.ended == 1)
        await client.abort()
    }
}
