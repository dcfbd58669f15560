import Foundation
import NIOCore
import RUDPProxy
import Testing

/// How many datagrams per second the proxy relays both ways (no impairment, one flow), against
/// the plain C-sockets echo. A benchmark, not a test: it reports a number and runs only with
/// `RUDP_PROXY_BENCH=1` (build with `-c release` for a meaningful one).
@Suite struct ProxyThroughputBenchmark {
    @Test(
        .enabled(if: ProcessInfo.processInfo.environment["RUDP_PROXY_BENCH"] == "1"),
        .timeLimit(.minutes(15)))
    func echoRoundTripsPerSecond() async throws {
        let echo = try PlainUDPEchoServer()
        defer { echo.stop() }
        let proxy = try await UDPProxyTests.startProxy(upstreamPort: echo.port)
        let client = try PlainUDPSocket(receiveTimeout: 0.2)
        let count = 100_000, size = 1200
        let start = ContinuousClock.now
        let replies = UDPProxyTests.exchange(
            client, proxyPort: proxy.localAddress.port!, count: count,
            size: size, window: 128)
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        let statistics = await proxy.statistics()
        await proxy.shutdown()
        print(
            String(
                format: "proxy throughput: %d of %d round trips of %d B in %.2f s: %.0f datagrams/s each way (%.1f MB/s)",
                replies.count, count, size, seconds, Double(replies.count) / seconds,
                Double(replies.count * size) / seconds / 1e6))
        print(statistics)
        #expect(replies.count > count * 9 / 10)
    }
}
