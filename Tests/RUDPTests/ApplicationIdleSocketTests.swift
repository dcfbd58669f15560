import NIOCore
import RUDP
import Testing

@Suite("Application idle limit on real sockets")
struct ApplicationIdleSocketTests {
    @Test("keep-alives alone do not hold a connection: the server closes it after its application idle limit")
    func serverClosesAnIdleConnection() async throws {
        var serverConfiguration = testConfiguration(seed: 120)
        // 5 s: in an ordinary run the echo and about 25 keep-alives pass before the limit, and
        // it is the keep-alives that must not hold the connection open.
        serverConfiguration.connection.applicationIdleTimeout = .seconds(5)
        var clientConfiguration = testConfiguration(seed: 121)
        clientConfiguration.connection.keepAliveInterval = .milliseconds(200)
        let server = try await RUDPServer.bind(port: 0, configuration: serverConfiguration)
        let serving = startEchoServer(server)
        let port = server.port
        let clientSettings = clientConfiguration
        try await withHangGuard("application idle") {
            // The server's limit runs from the connection's start or its last message, both at
            // or after `start`, so the close comes at least the limit after it whatever the load.
            // A starved test may even send after the server has closed: then the send itself
            // reports the close, which is the same outcome.
            let start = ContinuousClock.now
            let client = try await RUDPClient.connect(host: "127.0.0.1", port: port, configuration: clientSettings)
            var iterator = client.messages.makeAsyncIterator()
            // The client's keep-alives flow, but no message: the server closes with CLOSE(application idle).
            do {
                try await client.send([1, 2, 3])
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
        try await withHangGuard("serve returns") { try await serving.value }
    }
}
