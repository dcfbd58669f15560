import NIOCore
import Testing

@testable import RUDP

@Suite("Idle endpoints")
struct IdleTests {
    @Test("An idle connection does not wake its event loop (no busy loop)")
    func idleEndpointsSleep() async throws {
        let server = try await RUDPServer.bind(port: 0, configuration: testConfiguration(seed: 110))
        let serving = startEchoServer(server)
        let port = server.port
        try await withHangGuard("idle connection") {
            let client = try await RUDPClient.connect(host: "127.0.0.1", port: port, configuration: testConfiguration(seed: 111))
            var iterator = client.messages.makeAsyncIterator()
            try await client.send([1, 2, 3])
            _ = try await iterator.next()
            try await client.waitUntilAllAcknowledged()
            try await Task.sleep(for: .seconds(1))  // delayed acknowledgements and probes settle
            func firings() async throws -> (client: Int, server: Int) {
                let c = client.driver, s = server.driver
                return (try await c.eventLoop.submit { c.timerFirings }.get(), try await s.eventLoop.submit { s.timerFirings }.get())
            }
            let before = try await firings()
            try await Task.sleep(for: .seconds(1))
            let after = try await firings()
            // Keep-alive is 5 s and the idle timeout 2 min: nothing is due within this second. A
            // loaded machine can leave the exchange's last probes (backing off from a 1 ms
            // minimum RTO) or a delayed ACK pending past the settle time (seen at load 13: 4
            // firings), so allow up to 10; a busy loop would fire thousands of times.
            #expect(after.client - before.client <= 10, "client timer fired \(after.client - before.client) times while idle")
            #expect(after.server - before.server <= 10, "server timer fired \(after.server - before.server) times while idle")
            try await client.close()
        }
        await server.shutdown()
        try await withHangGuard("serve returns") { try await serving.value }
    }
}
