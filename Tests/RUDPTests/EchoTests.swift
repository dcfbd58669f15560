import NIOCore
import RUDP
import Testing

@Suite("Echo over loopback sockets")
struct EchoTests {
    @Test("Echo round trips over IPv4 and IPv6", arguments: ["127.0.0.1", "::1"])
    func echoRoundTrips(host: String) async throws {
        let server = try await RUDPServer.bind(host: host, port: 0, configuration: testConfiguration(seed: 10))
        let serving = startEchoServer(server)
        defer { serving.cancel() }
        try await withHangGuard("echo on \(host)") {
            let client = try await RUDPClient.connect(host: host, port: server.port, configuration: testConfiguration(seed: 11))
            for i in 0..<50 {
                let payload = pseudoRandomBytes(count: 1 + i * 37, seed: UInt64(i))
                try await client.send(payload)
                var iterator = client.messages.makeAsyncIterator()
                let reply = try await iterator.next()
                #expect(reply?.bytes == payload)
            }
            try await client.close()
            #expect(await client.closeReason() == .closedLocally)
        }
        await server.shutdown()
        try await withHangGuard("serve returns after shutdown") { try await serving.value }
    }
}
