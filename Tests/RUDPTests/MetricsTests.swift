import MetricsTestKit
import RUDP
import Testing

@Suite("Metrics")
struct MetricsTests {
    @Test("Datagram, byte and connection counters reach the configured swift-metrics factory")
    func countersAreReported() async throws {
        let metrics = TestMetrics()
        var configuration = testConfiguration(seed: 95)
        configuration.metricsFactory = metrics
        let server = try await RUDPServer.bind(port: 0, configuration: configuration)
        let serving = startEchoServer(server)
        let port = server.port
        var clientConfiguration = testConfiguration(seed: 96)
        clientConfiguration.metricsFactory = metrics
        let clientSettings = clientConfiguration
        try await withHangGuard("metrics round trips") {
            let client = try await RUDPClient.connect(host: "127.0.0.1", port: port, configuration: clientSettings)
            var iterator = client.messages.makeAsyncIterator()
            for i in 0..<20 {
                try await client.send([UInt8](repeating: UInt8(i), count: 500))
                _ = try await iterator.next()
            }
            // Both ends count the open connection (the server's since it accepted it).
            #expect(try metrics.expectMeter("rudp_connections_open", [("role", "client")]).lastValue == 1)
            #expect(try metrics.expectMeter("rudp_connections_open", [("role", "server")]).lastValue == 1)
            try await client.close()
        }
        await server.shutdown()
        try await withHangGuard("serve returns") { try await serving.value }

        let statistics = await server.statistics()
        let serverRole = [("role", "server")]
        #expect(try metrics.expectCounter("rudp_datagrams_received", serverRole).totalValue == Int64(statistics.datagramsReceived))
        #expect(try metrics.expectCounter("rudp_bytes_received", serverRole).totalValue == Int64(statistics.bytesReceived))
        #expect(try metrics.expectCounter("rudp_datagrams_sent", serverRole).totalValue == Int64(statistics.datagramsSent))
        #expect(try metrics.expectCounter("rudp_connections_opened", serverRole).totalValue == 1)
        #expect(try metrics.expectCounter("rudp_connections_closed", [("role", "client")]).totalValue == 1)
        #expect(try metrics.expectCounter("rudp_bytes_sent", [("role", "client")]).totalValue > 20 * 500)
        // The gauge is back to zero once the connections ended; a handshake time for each side,
        // a smoothed RTT for each connection that ended.
        for role in ["client", "server"] {
            #expect(try metrics.expectMeter("rudp_connections_open", [("role", role)]).lastValue == 0)
            let handshakes = try metrics.expectTimer("rudp_handshake_duration_seconds", [("role", role)]).values
            #expect(handshakes.count == 1 && handshakes.allSatisfy { $0 > 0 }, "\(role) handshake times \(handshakes)")
            let rtts = try metrics.expectTimer("rudp_rtt_seconds", [("role", role)]).values
            #expect(rtts.count == 1 && rtts.allSatisfy { $0 > 0 }, "\(role) RTTs \(rtts)")
        }
    }
}
