import Foundation
import RUDP
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The CLI's servers under swift-service-lifecycle, as real processes: SIGTERM or SIGINT shuts
/// them down gracefully (clients are told, status 0), and `--metrics-port` serves Prometheus
/// metrics that a scrape over HTTP can read. Metrics can be bootstrapped only once per
/// process, which is why these run a child process rather than the commands in the test.
@Suite("Lifecycle and metrics of the CLI processes")
struct LifecycleProcessTests {
    /// A client configuration whose timeouts are hang guards (the machine may be loaded).
    static var clientConfiguration: RUDPConfiguration {
        var configuration = RUDPConfiguration()
        configuration.connection.connectTimeout = .seconds(120)
        configuration.connection.peerTimeout = .seconds(120)
        configuration.connection.idleTimeout = .seconds(300)
        return configuration
    }

    /// The port of `http://127.0.0.1:PORT/metrics` in a line of output.
    static func metricsPort(in line: String) throws -> Int {
        guard let range = line.range(of: "metrics on http://127.0.0.1:") else { throw ChildProcess.Failure("no metrics URL in '\(line)'") }
        guard let port = Int(line[range.upperBound...].prefix { $0.isNumber }) else { throw ChildProcess.Failure("no port in '\(line)'") }
        return port
    }

    /// Connects to `port`, sends `count` messages and reads their echoes; returns the open connection.
    static func exchange(port: Int, count: Int) async throws -> RUDPConnection {
        let client = try await RUDPClient.connect(host: "127.0.0.1", port: port, configuration: clientConfiguration)
        var iterator = client.messages.makeAsyncIterator()
        for i in 0..<count {
            try await client.send(Array("message \(i)".utf8))
            _ = try await iterator.next()
        }
        return client
    }

    /// Waits until the connection learned why it ended.
    static func closeReason(of client: RUDPConnection) async throws -> CloseReason? {
        var reason: CloseReason?
        try await eventually(every: .milliseconds(20)) {
            reason = await client.closeReason()
            return reason != nil
        }
        guard let reason else { throw ChildProcess.Failure("the client never saw its connection end") }
        return reason
    }

    @Test(
        "echo-server: SIGTERM or SIGINT closes the open connections (clients told serverShutdown) and exits 0",
        arguments: [SIGTERM, SIGINT])
    func echoServerStopsOnSignal(signal: Int32) async throws {
        try await ChildProcess.withRudp(["echo-server", "--port", "0"]) { server in
            let client = try await Self.exchange(port: try await server.listeningPort(), count: 3)
            server.send(signal: signal)
            let status = try await server.waitForExit()
            #expect(status == 0, "\(server.transcript)")
            #expect(server.standardOutput.contains("rudp echo-server stopped"), "\(server.transcript)")
            #expect(try await Self.closeReason(of: client) == .peerClosed(.serverShutdown, "server shutting down"))
        }
    }

    @Test("echo-server --metrics-port: GET /metrics shows the counters, the open connection and the timers; other paths 404")
    func echoServerServesPrometheusMetrics() async throws {
        try await ChildProcess.withRudp(["echo-server", "--port", "0", "--metrics-port", "0"], Self.echoServerServesPrometheusMetrics)
    }

    static func echoServerServesPrometheusMetrics(_ server: ChildProcess) async throws {
        let port = try await server.listeningPort()
        let metricsPort = try Self.metricsPort(in: try await server.line(containing: "metrics on"))

        let before = try await OffPool.run { try HTTPGet.fetch(port: metricsPort, path: "/metrics") }
        #expect(before.status == 200)
        let client = try await Self.exchange(port: port, count: 5)
        let during = try await OffPool.run { try HTTPGet.fetch(port: metricsPort, path: "/metrics") }
        #expect(during.status == 200)
        let body = during.body
        #expect((HTTPGet.sample("rudp_datagrams_received{role=\"server\"}", in: body) ?? 0) >= 6, "\(body)")
        #expect((HTTPGet.sample("rudp_bytes_sent{role=\"server\"}", in: body) ?? 0) > 0, "\(body)")
        #expect(HTTPGet.sample("rudp_connections_opened{role=\"server\"}", in: body) == 1, "\(body)")
        #expect(HTTPGet.sample("rudp_connections_open{role=\"server\"}", in: body) == 1, "\(body)")
        #expect(HTTPGet.sample("rudp_cli_echo_messages", in: body) == 5, "\(body)")
        #expect(HTTPGet.sample("rudp_handshake_duration_seconds_count{role=\"server\"}", in: body) == 1, "\(body)")
        #expect(body.contains("# TYPE rudp_connections_open gauge"), "\(body)")
        #expect(body.contains("# TYPE rudp_rtt_seconds histogram"), "\(body)")

        let missing = try await OffPool.run { try HTTPGet.fetch(port: metricsPort, path: "/other") }
        #expect(missing.status == 404)

        try await client.close()
        // The server notices the close a moment later: scrape until the gauge is back to 0.
        var after = ""
        try await eventually(every: .milliseconds(20)) {
            after = try await OffPool.run { try HTTPGet.fetch(port: metricsPort, path: "/metrics") }.body
            return HTTPGet.sample("rudp_connections_open{role=\"server\"}", in: after) == 0
        }
        #expect(HTTPGet.sample("rudp_connections_open{role=\"server\"}", in: after) == 0, "\(after)")
        #expect(HTTPGet.sample("rudp_connections_closed{role=\"server\"}", in: after) == 1, "\(after)")
        #expect(HTTPGet.sample("rudp_rtt_seconds_count{role=\"server\"}", in: after) == 1, "\(after)")

        server.send(signal: SIGTERM)
        let status = try await server.waitForExit()
        #expect(status == 0, "\(server.transcript)")
    }

    @Test("proxy --metrics-port: the relayed datagrams show on /metrics; SIGTERM prints the final counters and exits 0")
    func proxyServesMetricsAndStopsOnSignal() async throws {
        try await ChildProcess.withRudp(["echo-server", "--port", "0"]) { server in
            let serverPort = try await server.listeningPort()
            try await ChildProcess.withRudp(
                ["proxy", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:\(serverPort)", "--metrics-port", "0"]
            ) { proxy in
                try await Self.proxyServesMetricsAndStopsOnSignal(proxy, server: server)
            }
        }
    }

    static func proxyServesMetricsAndStopsOnSignal(_ proxy: ChildProcess, server: ChildProcess) async throws {
        let line = try await proxy.line(containing: "listening on")
        let proxyPort = try ChildProcess.port(inListeningLine: line)
        let metricsPort = try Self.metricsPort(in: line)

        let client = try await Self.exchange(port: proxyPort, count: 4)
        let scrape = try await OffPool.run { try HTTPGet.fetch(port: metricsPort, path: "/metrics") }
        #expect(scrape.status == 200)
        #expect((HTTPGet.sample("rudp_proxy_datagrams_forwarded{direction=\"up\"}", in: scrape.body) ?? 0) >= 5, "\(scrape.body)")
        #expect((HTTPGet.sample("rudp_proxy_datagrams_forwarded{direction=\"down\"}", in: scrape.body) ?? 0) >= 5, "\(scrape.body)")
        #expect(HTTPGet.sample("rudp_proxy_flows_open", in: scrape.body) == 1, "\(scrape.body)")
        #expect(HTTPGet.sample("rudp_proxy_flows_opened", in: scrape.body) == 1, "\(scrape.body)")
        try await client.close()

        proxy.send(signal: SIGTERM)
        let status = try await proxy.waitForExit()
        #expect(status == 0, "\(proxy.transcript)")
        #expect(proxy.standardOutput.contains("final"), "\(proxy.transcript)")
        server.send(signal: SIGINT)
        #expect(try await server.waitForExit() == 0, "\(server.transcript)")
    }

    /// What a scrape of `recv --metrics-port` showed, by sample name.
    struct RecvScrape: Sendable {
        var body: String
        func value(_ name: String) -> Double { HTTPGet.sample(name, in: body) ?? 0 }
        /// Content bytes written to the file so far.
        var contentBytes: Double { value("rudp_cli_recv_bytes") }
    }

    @Test("recv --metrics-port: scrapes during a transfer show the open connection, the datagrams and the bytes so far")
    func recvServesPrometheusMetricsDuringATransfer() async throws {
        let directory = try CLIProcessTests.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("input.bin"), output = directory.appendingPathComponent("output.bin")
        let size = 2_000_000
        try Data(CLIProcessTests.randomBytes(count: size, seed: 16)).write(to: input)

        let (scrapes, sender, receiverStatus, transcript) = try await ChildProcess.withRudp([
            "recv", "--port", "0", "--output", output.path, "--timeout", "120", "--no-progress", "--metrics-port", "0",
        ]) { receiver in
            let port = try await receiver.listeningPort()
            let metricsPort = try Self.metricsPort(in: try await receiver.line(containing: "metrics on"))
            let idle = try await OffPool.run { try HTTPGet.fetch(port: metricsPort, path: "/metrics") }
            #expect(idle.status == 200)
            // 0.25 MB/s: the 2 MB take about 8 s, time for many scrapes even when a loaded
            // machine runs this task seconds late (at 1 MB/s for 4 s it once got only one).
            return try await ChildProcess.withRudp([
                "send", input.path, "--to", "127.0.0.1:\(port)", "--max-rate", "0.25", "--timeout", "120", "--no-progress",
            ]) { sender in
                // Scrape until two samples show the content arriving, the second with more of it
                // (recv closes its endpoint once the file is saved: stop at the first refusal).
                var scrapes = [RecvScrape(body: idle.body)]
                try await eventually(every: .milliseconds(50)) {
                    // Done with three samples, once the sender finished, or when recv refuses.
                    guard scrapes.count < 3, sender.exitStatus == nil,
                        let scrape = try? await OffPool.run({ try HTTPGet.fetch(port: metricsPort, path: "/metrics") })
                    else { return true }
                    let now = RecvScrape(body: scrape.body)
                    if now.contentBytes > scrapes[scrapes.count - 1].contentBytes { scrapes.append(now) }
                    return false
                }
                let senderStatus = try await sender.waitForExit(within: HangGuard.transferSeconds)
                let receiverStatus = try await receiver.waitForExit(within: HangGuard.transferSeconds)
                let sent = ChildProcess.Result(status: senderStatus, output: sender.standardOutput, error: sender.standardError)
                return (scrapes, sent, receiverStatus, receiver.transcript)
            }
        }
        #expect(sender.status == 0, "\(sender.error)")
        #expect(receiverStatus == 0, "\(transcript)")
        #expect(try Data(contentsOf: output) == Data(contentsOf: input))

        let idle = scrapes[0]
        #expect(idle.value("rudp_connections_open{role=\"server\"}") == 0, "\(idle.body)")
        #expect(idle.contentBytes == 0, "\(idle.body)")
        try #require(scrapes.count == 3, "two scrapes during the transfer: \(scrapes.map(\.contentBytes))\n\(transcript)")
        let first = scrapes[1], second = scrapes[2]
        #expect(0 < first.contentBytes && first.contentBytes < second.contentBytes && second.contentBytes <= Double(size))
        for scrape in [first, second] {
            #expect(scrape.value("rudp_connections_open{role=\"server\"}") == 1, "\(scrape.body)")
            #expect(scrape.value("rudp_connections_opened{role=\"server\"}") == 1, "\(scrape.body)")
            #expect(scrape.value("rudp_handshake_duration_seconds_count{role=\"server\"}") == 1, "\(scrape.body)")
            // The content came in datagrams: the transport counted at least as many bytes, one
            // datagram per 1,500 at most, and sent acknowledgements back.
            #expect(scrape.value("rudp_bytes_received{role=\"server\"}") >= scrape.contentBytes, "\(scrape.body)")
            #expect(scrape.value("rudp_datagrams_received{role=\"server\"}") >= scrape.contentBytes / 1_500, "\(scrape.body)")
            #expect(scrape.value("rudp_datagrams_sent{role=\"server\"}") > 0, "\(scrape.body)")
        }
        #expect(second.value("rudp_datagrams_received{role=\"server\"}") > first.value("rudp_datagrams_received{role=\"server\"}"))
    }
}
