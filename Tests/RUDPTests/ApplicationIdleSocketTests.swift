import NIOCore
import RUDP
import Testing

@Suite("Application idle limit on real sockets")
struct ApplicationIdleSocketTests {
    @Test("keep-alives alone do not hold a connection: the server closes it after its application idle limit")
    func serverClosesAnIdleConnection() async throws {
        var serverConfiguration = testConfiguration(seed: 120)
        // 5 s: the first echo below must come back within it even when other work holds the
        // CPU (1 s expired before it beside stress-ng at load 8).
        serverConfiguration.connection.applicationIdleTimeout = .seconds(5)
        var clientConfiguration = testConfiguration(seed: 121)
        clientConfiguration.connection.keepAliveInterval = .milliseconds(200)
        let server = try await RUDPServer.bind(port: 0, configuration: serverConfiguration)
        let serving = startEchoServer(server)
        let port = server.port
        let clientSettings = clientConfiguration
        try await withTimeout(30, "application idle") {
            let client = try await RUDPClient.connect(host: "127.0.0.1", port: port, configuration: clientSettings)
            var iterator = client.messages.makeAsyncIterator()
            // The server's limit runs from its last message, which is at or after this send, so
            // the close comes at least the limit after `start` whatever the load; the echo may or
            // may not come first (a starved test can miss it), which is not the point here.
            let start = ContinuousClock.now
            try await client.send([1, 2, 3])
            // The client's keep-alives flow, but no message: the server closes with CLOSE(application idle).
            do {
                while let message = try await iterator.next() {
                    #expect(message.bytes == [1, 2, 3])
                }
                Issue.record("the message stream ended without an error")
            } catch let error as RUDPError {
                #expect(error.code == .idleTimeout, "\(error)")
            }
            let elapsed = ContinuousClock.now - start
            #expect(elapsed >= .milliseconds(4_500), "closed after \(elapsed)")
            #expect(await client.closeReason() == .peerClosed(.applicationIdle, "application idle"))
        }
        await server.shutdown()
        try await withTimeout(10, "serve returns") { try await serving.value }
    }
}
