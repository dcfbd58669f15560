import Foundation
import RUDPProxy
import Testing

/// `rudp proxy` as a real process between a plain C-sockets client and echo server.
@Suite(.serialized, .timeLimit(.minutes(15))) struct ProxyProcessTests {
    struct Listening: Decodable {
        var event: String
        var listen: String
        var upstream: String
        var control: String?
    }

    struct Snapshot: Decodable {
        var event: String
        var statistics: ProxyStatistics
    }

    static func port(of address: String) -> Int? {
        address.split(separator: ":").last.flatMap { Int($0) }
    }

    @Test func countersOfTheProcessMatchWhatWasSentAndReceived() async throws {
        let echo = try PlainUDPEchoServer()
        defer { echo.stop() }
        try await ChildProcess.withRudp([
            "proxy", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:\(echo.port)",
            "--loss", "up:0.1", "--duplicate", "down:0.05", "--seed", "5",
            "--stats-interval", "0.2", "--json", "--control-port", "0",
        ]) { proxy in
            try await Self.countersOfTheProcessMatchWhatWasSentAndReceived(proxy, echo: echo)
        }
    }

    /// The client side and the checks of ``countersOfTheProcessMatchWhatWasSentAndReceived()``:
    /// blocking sockets, on one of the scope's own threads.
    static func countersOfTheProcessMatchWhatWasSentAndReceived(_ proxy: ChildProcess, echo: PlainUDPEchoServer) async throws {
        let first = try await proxy.nextLine()
        let listening = try JSONDecoder().decode(Listening.self, from: Data(first.utf8))
        #expect(listening.event == "listening")
        let proxyPort = try #require(Self.port(of: listening.listen))
        let controlPort = try #require(listening.control.flatMap(Self.port(of:)))

        let client = try PlainUDPSocket(receiveTimeout: 0.02)
        let count = 1000
        var replies = UDPProxyTests.exchange(client, proxyPort: proxyPort, count: count)
        client.setReceiveTimeout(0.5)  // the last replies may still be on their way on a loaded machine
        while let reply = client.receive() { replies.append(reply.bytes) }
        client.setReceiveTimeout(0.02)

        // The control port answers with the same counters (once the proxy has seen every datagram).
        let control = try LineConnection(port: controlPort)
        var live = ProxyStatistics()
        try await eventually(every: .milliseconds(50)) {
            live = try JSONDecoder().decode(ProxyStatistics.self, from: Data(try #require(control.ask("stats")).utf8))
            return live.up.received >= count
        }
        #expect(live.up.received == count)
        #expect(control.ask("set loss=1") == "ok")
        client.send(UDPProxyTests.payload(0), toPort: proxyPort)
        #expect(client.receive() == nil)

        proxy.send(signal: SIGTERM)
        let status = try await proxy.waitForExit()
        #expect(status == 0, "stderr: \(proxy.standardError)")
        let snapshots = proxy.lines.dropFirst().compactMap {
            try? JSONDecoder().decode(Snapshot.self, from: Data($0.utf8))
        }
        #expect(snapshots.contains { $0.event == "stats" })
        let final = try #require(snapshots.last { $0.event == "final" }, "lines: \(proxy.lines)").statistics
        print(final)

        #expect(final.up.received == count + 1)
        #expect(final.up.dropped.loss + final.up.forwarded == count + 1)
        #expect(echo.received == final.up.forwarded)
        #expect(final.down.received == echo.received)
        #expect(final.down.forwarded == final.down.received + final.down.duplicated)
        #expect(replies.count == final.down.forwarded)
        #expect(final.up.dropped.loss > 50 && final.up.dropped.loss < 150, "seed 5")
    }

    @Test func badOptionsExitWithAMessage() async throws {
        let cases: [([String], String)] = [
            (["--loss", "1.5"], "loss"),
            (["--delay", "up:soon"], "delay"),
            (["--rate", "fast"], "rate"),
            // A time needs its unit, and the message says which.
            (["--delay", "20"], "20ms"),
            (["--rate", "10mbps"], "ambiguous"),
        ]
        for (options, word) in cases {
            let proxy = try await ChildProcess.run(
                ["proxy", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:9"] + options, seconds: HangGuard.processSeconds)
            #expect(proxy.status != 0, "\(options)")
            #expect(proxy.error.contains(word), "\(options): \(proxy.error)")
        }
        let unresolvable = try await ChildProcess.run(
            ["proxy", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1"], seconds: HangGuard.processSeconds)
        #expect(unresolvable.status != 0)
        #expect(unresolvable.error.contains("port"), "\(unresolvable.error)")
    }
}
