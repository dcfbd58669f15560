import Foundation
import Logging
import NIOCore
import RUDPProxy
import Testing

/// The proxy over real loopback sockets, with a plain C-sockets echo server as upstream and
/// plain C-sockets clients.
@Suite(.serialized, .timeLimit(.minutes(15))) struct UDPProxyTests {
    static let quietLogger = Logger(label: "test.proxy", factory: { _ in SwiftLogNoOpLogHandler() })

    static func startProxy(upstreamPort: Int, _ configuration: ProxyConfiguration = ProxyConfiguration()) async throws -> UDPProxy {
        var configuration = configuration
        configuration.logger = quietLogger
        return try await UDPProxy.start(
            listen: try SocketAddress(ipAddress: "127.0.0.1", port: 0),
            upstream: try SocketAddress(ipAddress: "127.0.0.1", port: upstreamPort),
            configuration: configuration)
    }

    static func payload(_ index: Int, size: Int = 64) -> [UInt8] {
        var bytes = withUnsafeBytes(of: UInt32(index).bigEndian) { Array($0) }
        bytes += [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: size - 4)
        return bytes
    }

    /// Sends `count` datagrams from `client` through the proxy in windows of `window`, reading
    /// the replies after each window until all of it has come back or the socket stays quiet
    /// for its receive timeout (so no socket buffer overflows on a slow machine), then returns
    /// the replies.
    static func exchange(
        _ client: PlainUDPSocket, proxyPort: Int, count: Int, size: Int = 64,
        window: Int = 32
    ) -> [[UInt8]] {
        var replies: [[UInt8]] = []
        var sent = 0
        while sent < count {
            let batch = min(window, count - sent)
            for index in sent..<(sent + batch) {
                client.send(payload(index, size: size), toPort: proxyPort)
            }
            sent += batch
            while replies.count < sent, let reply = client.receive() {
                replies.append(reply.bytes)
            }
        }
        while let reply = client.receiveNow() { replies.append(reply) }
        return replies
    }

    /// How many of `payload(0) ..< payload(count)` are not among `replies`.
    static func missing(_ replies: [[UInt8]], count: Int) -> Int {
        let received = Set(replies)
        return (0..<count).filter { !received.contains(payload($0)) }.count
    }

    /// Waits until `condition` holds for the proxy's counters (a hang guard bounds the wait, and
    /// cancellation ends it); returns the last counters read.
    static func eventually(_ proxy: UDPProxy, _ condition: (ProxyStatistics) -> Bool) async -> ProxyStatistics {
        var statistics = await proxy.statistics()
        _ = try? await RUDPTestSupport.eventually(every: .milliseconds(20)) {
            statistics = await proxy.statistics()
            return condition(statistics)
        }
        return statistics
    }

    @Test func relaysBothWaysAndCountsExactly() async throws {
        let echo = try PlainUDPEchoServer()
        defer { echo.stop() }
        let proxy = try await Self.startProxy(upstreamPort: echo.port)
        let client = try PlainUDPSocket(receiveTimeout: 10)
        let count = 2000
        var replies = Self.exchange(client, proxyPort: proxy.localAddress.port!, count: count)
        let statistics = await Self.eventually(proxy) { $0.down.forwarded == count }
        while replies.count < count, let reply = client.receive() { replies.append(reply.bytes) }
        await proxy.shutdown()
        print(statistics)

        #expect(replies.count == count)
        #expect(Self.missing(replies, count: count) == 0)
        #expect(echo.received == count)
        #expect(statistics.up.received == count)
        #expect(statistics.up.forwarded == count)
        #expect(statistics.down.received == count)
        #expect(statistics.down.forwarded == count)
        #expect(statistics.up.receivedBytes == count * 64)
        #expect(statistics.down.forwardedBytes == count * 64)
        #expect(statistics.up.dropped.total == 0)
        #expect(statistics.down.dropped.total == 0)
        #expect(statistics.flows.opened == 1)
        #expect(statistics.flows.active == 1)
    }

    @Test func lossyCountersMatchWhatEachEndSaw() async throws {
        let echo = try PlainUDPEchoServer()
        defer { echo.stop() }
        let seed: UInt64 = 21
        let proxy = try await Self.startProxy(
            upstreamPort: echo.port,
            ProxyConfiguration(
                impairments: ProxyImpairments(up: Impairments(loss: 0.2), down: Impairments(loss: 0.1, duplication: 0.05)),
                seed: seed))
        let client = try PlainUDPSocket(receiveTimeout: 0.02)
        let count = 3000
        let firstReplies = Self.exchange(client, proxyPort: proxy.localAddress.port!, count: count)
        // Every stage has caught up: the proxy has read all the client sent (a loaded machine
        // can leave datagrams waiting in its socket while the rest of the pipeline is idle),
        // the echo server has read all the proxy forwarded, and the proxy all it echoed.
        let statistics = await Self.eventually(proxy) {
            $0.up.received == count && $0.up.held == 0 && $0.down.held == 0
                && echo.received == $0.up.forwarded && $0.down.received == echo.received
        }
        var replies = firstReplies
        client.setReceiveTimeout(0.5)  // the last replies may still be on their way on a loaded machine
        while let reply = client.receive() { replies.append(reply.bytes) }
        await proxy.shutdown()
        print("seed \(seed): \(statistics)")

        #expect(statistics.up.received == count)
        #expect(statistics.up.forwarded + statistics.up.dropped.loss == count)
        #expect(echo.received == statistics.up.forwarded)
        #expect(statistics.down.received == echo.received)
        #expect(statistics.down.forwarded == statistics.down.received - statistics.down.dropped.loss + statistics.down.duplicated)
        #expect(replies.count == statistics.down.forwarded)
        #expect(abs(Double(statistics.up.dropped.loss) / Double(count) - 0.2) < 0.03, "seed \(seed)")
    }

    @Test func theSameSeedDropsTheSameDatagrams() async throws {
        let echo = try PlainUDPEchoServer()
        defer { echo.stop() }

        /// The indices of the datagrams that came back through a proxy with `seed`.
        func survivors(seed: UInt64) async throws -> Set<Int> {
            let proxy = try await Self.startProxy(
                upstreamPort: echo.port,
                ProxyConfiguration(
                    impairments: ProxyImpairments(
                        up: Impairments(loss: 0.3, duplication: 0.1),
                        down: Impairments(loss: 0.2)),
                    seed: seed))
            let client = try PlainUDPSocket(receiveTimeout: 0.02)
            let echoedBefore = echo.received
            var replies = Self.exchange(client, proxyPort: proxy.localAddress.port!, count: 500)
            _ = await Self.eventually(proxy) {
                $0.up.received == 500 && $0.up.held == 0 && $0.down.held == 0
                    && echo.received - echoedBefore == $0.up.forwarded
                    && $0.down.received == echo.received - echoedBefore
            }
            // Replies still on their way back wait in the socket: collect them with a roomier
            // receive timeout (a loaded machine can delay the last ones).
            client.setReceiveTimeout(0.5)
            while let reply = client.receive() { replies.append(reply.bytes) }
            await proxy.shutdown()
            return Set(replies.map { Int($0[0]) << 24 | Int($0[1]) << 16 | Int($0[2]) << 8 | Int($0[3]) })
        }

        let first = try await survivors(seed: 9)
        let again = try await survivors(seed: 9)
        let other = try await survivors(seed: 10)
        print("seed 9: \(first.count) of 500 came back; seed 10: \(other.count)")
        #expect(first == again, "seed 9")
        #expect(first != other, "seeds 9 and 10")
    }

    @Test func addedDelayMatchesTheConfiguredMean() async throws {
        let echo = try PlainUDPEchoServer()
        defer { echo.stop() }
        let client = try PlainUDPSocket(receiveTimeout: 5)

        /// Round-trip times in milliseconds of the samples whose own reply came back. A reply
        /// that comes back late (a loaded machine) is skipped by the next sample, which waits
        /// for its own payload, so no sample is timed by another sample's reply.
        func roundTrips(toPort port: Int, samples: Int) -> [Double] {
            (0..<samples).compactMap { index in
                let start = ContinuousClock.now
                let payload = Self.payload(index)
                client.send(payload, toPort: port)
                while let reply = client.receive() {
                    if reply.bytes == payload { return (ContinuousClock.now - start) / .milliseconds(1) }
                }
                return nil
            }
        }
        func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(values.count) }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

        let direct = roundTrips(toPort: echo.port, samples: 50)
        let plain = try await Self.startProxy(upstreamPort: echo.port)
        let throughProxy = roundTrips(toPort: plain.localAddress.port!, samples: 50)
        await plain.shutdown()
        let delayed = try await Self.startProxy(
            upstreamPort: echo.port,
            ProxyConfiguration(
                impairments: ProxyImpairments(
                    up: Impairments(delay: .milliseconds(15)),
                    down: Impairments(delay: .milliseconds(5)))))
        let withDelay = roundTrips(toPort: delayed.localAddress.port!, samples: 50)
        let statistics = await delayed.statistics()
        await delayed.shutdown()
        #expect(statistics.up.delayLine.released == 50 && statistics.down.delayLine.released == 50)
        print(
            String(
                format: "delay line lateness (the proxy's own timer error): up mean %.3f ms max %.3f ms, down mean %.3f ms max %.3f ms",
                statistics.up.delayLine.meanLatenessMilliseconds, statistics.up.delayLine.maximumLatenessMilliseconds,
                statistics.down.delayLine.meanLatenessMilliseconds, statistics.down.delayLine.maximumLatenessMilliseconds))

        let added = mean(withDelay) - mean(throughProxy)
        let addedMedian = median(withDelay) - median(throughProxy)
        print(
            String(
                format: "round trip (mean / median): direct %.3f / %.3f ms, proxy %.3f / %.3f ms, "
                    + "proxy + 20 ms delay %.3f / %.3f ms; added %.3f / %.3f ms (error %.3f / %.3f ms)",
                mean(direct), median(direct), mean(throughProxy), median(throughProxy),
                mean(withDelay), median(withDelay), added, addedMedian, added - 20, addedMedian - 20))
        // The accuracy claim (within 1 ms on an idle machine) is printed above. The assertions
        // are what holds on any machine: no datagram comes back sooner than the configured
        // 20 ms, and the added delay stays within a generous sanity bound.
        #expect(
            withDelay.count >= 45 && throughProxy.count >= 45, "replies lost on loopback: \(withDelay.count), \(throughProxy.count) of 50")
        #expect(withDelay.allSatisfy { $0 >= 20 }, "\(withDelay)")
        // The fastest of 50 round trips is the one least disturbed by other work on the
        // machine: with 100 ms of slack it stays below the bound at any load (the median did
        // not: 576 ms beside stress-ng at load 13), while a unit or doubling bug exceeds it.
        let addedMinimum = (withDelay.min() ?? 0) - (throughProxy.min() ?? 0)
        #expect(addedMinimum < 120, "added \(addedMinimum) ms (fastest round trips) for 20 ms configured")
    }

    @Test func eachClientGetsItsOwnUpstreamSocketAndFlowsAreCappedAndExpire() async throws {
        let echo = try PlainUDPEchoServer()
        defer { echo.stop() }
        let proxy = try await Self.startProxy(
            upstreamPort: echo.port,
            // 3 s idle: the phases before the expiry check must finish within it even when the
            // parallel suite starves this test (with 1 s a flow once expired too early).
            ProxyConfiguration(idleTimeout: .seconds(3), maximumFlows: 3))
        let port = proxy.localAddress.port!
        let clients = try (0..<5).map { _ in try PlainUDPSocket(receiveTimeout: 10) }
        for client in clients.prefix(3) {
            #expect(Self.exchange(client, proxyPort: port, count: 10).count == 10)
        }
        #expect(echo.senderPorts.count == 3)
        // The table is full: the two others are refused, the first three still served.
        for client in clients.suffix(2) {
            client.setReceiveTimeout(0.05)
            #expect(Self.exchange(client, proxyPort: port, count: 10).isEmpty)
            client.setReceiveTimeout(10)
        }
        #expect(Self.exchange(clients[0], proxyPort: port, count: 10).count == 10)
        var statistics = await proxy.statistics()
        #expect(statistics.flows.refused == 20 && statistics.up.dropped.flowLimit == 20)
        #expect(statistics.flows.active == 3)

        // Idle flows expire, which frees room for the others.
        statistics = await Self.eventually(proxy) { $0.flows.active == 0 }
        #expect(statistics.flows.expired == 3)
        #expect(Self.exchange(clients[4], proxyPort: port, count: 10).count == 10)
        statistics = await proxy.statistics()
        #expect(statistics.flows.opened == 4)
        #expect(statistics.flows.active == 1)
        await proxy.shutdown()
    }

    @Test func aFloodOfNewClientsIsRefusedWhileEstablishedFlowsAreServed() async throws {
        let echo = try PlainUDPEchoServer()
        defer { echo.stop() }
        let proxy = try await Self.startProxy(upstreamPort: echo.port, ProxyConfiguration(maximumFlows: 20))
        let port = proxy.localAddress.port!
        let established = try PlainUDPSocket(receiveTimeout: 10)
        #expect(Self.exchange(established, proxyPort: port, count: 10).count == 10)

        // 300 new addresses, 3 datagrams each, interleaved with the established client's traffic.
        let flood = try (0..<300).map { _ in try PlainUDPSocket(receiveTimeout: 0.01) }
        var servedDuringFlood = 0
        for (index, socket) in flood.enumerated() {
            for copy in 0..<3 { socket.send(Self.payload(copy), toPort: port) }
            if index % 10 == 0 {
                established.send(Self.payload(10_000 + index), toPort: port)
                if established.receive() != nil { servedDuringFlood += 1 }
            }
        }
        let statistics = await Self.eventually(proxy) { $0.up.received == 10 + 900 + 30 }
        print(statistics)
        #expect(servedDuringFlood == 30)
        #expect(statistics.flows.opened == 20)
        #expect(statistics.flows.refused == (300 - 19) * 3)
        #expect(statistics.up.dropped.flowLimit == statistics.flows.refused)
        #expect(statistics.up.forwarded == 10 + 30 + 19 * 3)
        await proxy.shutdown()
    }

    @Test func impairmentsChangeAtRunTimeAndPartitionsHeal() async throws {
        let echo = try PlainUDPEchoServer()
        defer { echo.stop() }
        let proxy = try await Self.startProxy(upstreamPort: echo.port)
        let port = proxy.localAddress.port!
        let client = try PlainUDPSocket(receiveTimeout: 10)
        /// Sends 20 datagrams and returns how many came back, waiting only briefly if none should
        /// (and up to 10 s for each reply otherwise: a loaded machine can hold the echo back).
        func roundTrips(expectingNone: Bool) -> Int {
            client.setReceiveTimeout(expectingNone ? 0.1 : 10)
            return Self.exchange(client, proxyPort: port, count: 20).count
        }
        #expect(roundTrips(expectingNone: false) == 20)

        // Each phase that drops everything waits until the proxy has counted all 20 drops
        // before conditions change: on a loaded machine the datagrams (or the echo's replies)
        // can reach the proxy long after the client's short wait for replies ended.
        try await proxy.update(up: Impairments(loss: 1), down: .none)
        #expect(roundTrips(expectingNone: true) == 0)
        _ = await Self.eventually(proxy) { $0.up.dropped.loss == 20 }
        try await proxy.update(up: .none, down: .none)
        #expect(roundTrips(expectingNone: false) == 20)

        // A partition that heals by itself: 3 s, so that the 20 datagrams reach the proxy
        // within it even when the machine is loaded.
        await proxy.partition(for: .seconds(3))
        let partitioned = ContinuousClock.now  // the proxy's 3 s started before this
        #expect(roundTrips(expectingNone: true) == 0)
        _ = await Self.eventually(proxy) { $0.up.dropped.partition == 20 }
        try await Task.sleep(until: partitioned + .seconds(3) + .milliseconds(100))
        #expect(roundTrips(expectingNone: false) == 20)

        await proxy.partition(for: .seconds(30), directions: .down)
        #expect(roundTrips(expectingNone: true) == 0)
        _ = await Self.eventually(proxy) { $0.down.dropped.partition == 20 }
        await proxy.heal()
        #expect(roundTrips(expectingNone: false) == 20)

        let statistics = await proxy.statistics()
        #expect(statistics.up.dropped.loss == 20)
        #expect(statistics.up.dropped.partition == 20)
        #expect(statistics.down.dropped.partition == 20)
        await #expect(throws: ProxyError.self) { try await proxy.update(up: Impairments(loss: 3), down: .none) }
        #expect(try await proxy.impairments() == .none)
        await proxy.shutdown()
    }

    @Test func aFullRateQueueAndOversizedDatagramsAreDroppedAndCounted() async throws {
        let echo = try PlainUDPEchoServer()
        defer { echo.stop() }
        let proxy = try await Self.startProxy(
            upstreamPort: echo.port,
            ProxyConfiguration(
                impairments: ProxyImpairments(
                    up: Impairments(bandwidth: 100_000, queueCapacity: 10_000, mtu: 1200), down: .none)))
        let port = proxy.localAddress.port!
        let client = try PlainUDPSocket()
        // 100 datagrams of 1000 B at once into a 10 kB queue drained at 100 kB/s.
        for index in 0..<100 { client.send(Self.payload(index, size: 1000), toPort: port) }
        client.send(Self.payload(100, size: 1201), toPort: port)
        // The echo server reads on its own thread: wait until it has read what was forwarded.
        let statistics = await Self.eventually(proxy) {
            $0.up.received == 101 && $0.up.held == 0 && $0.down.held == 0 && echo.received == $0.up.forwarded
        }
        print(statistics)
        #expect(statistics.up.dropped.mtu == 1)
        #expect(statistics.up.dropped.queueFull >= 80)
        #expect(statistics.up.forwarded + statistics.up.dropped.queueFull == 100)
        #expect(echo.received == statistics.up.forwarded)
        await proxy.shutdown()
    }

    @Test func anUnreachableUpstreamIsCountedAndTheProxyKeepsServing() async throws {
        // A port with nothing behind it, below the ephemeral range: no socket bound to port 0
        // (the proxy's upstream sockets, other tests) can take it before the echo server does.
        let vacantPort = try FreePort.udp()
        let proxy = try await Self.startProxy(upstreamPort: vacantPort)
        let port = proxy.localAddress.port!
        let client = try PlainUDPSocket(receiveTimeout: 0.05)
        for round in 0..<5 {
            client.send(Self.payload(round), toPort: port)
            try await Task.sleep(for: .milliseconds(20))
        }
        // All five handled (and refused upstream) before the upstream comes up, so that none
        // of them reaches it late and adds a reply to the exchange below.
        let statistics = await Self.eventually(proxy) { $0.flows.upstreamErrors > 0 && $0.up.received == 5 && $0.up.held == 0 }
        print(statistics)
        #expect(statistics.flows.upstreamErrors > 0)
        #expect(statistics.up.received == 5)

        // The upstream comes up on that port: the same client is served again.
        let echo = try PlainUDPEchoServer(port: vacantPort)
        defer { echo.stop() }
        client.setReceiveTimeout(10)
        #expect(Self.exchange(client, proxyPort: port, count: 10).count == 10)
        await proxy.shutdown()
    }

    /// `rebind` gives a flow a new upstream socket: the upstream sees the client come from a new
    /// source port, and the flow keeps relaying both ways.
    @Test func rebindingMovesAFlowToANewUpstreamPort() async throws {
        let echo = try PlainUDPEchoServer()
        defer { echo.stop() }
        let proxy = try await Self.startProxy(upstreamPort: echo.port)
        let proxyPort = proxy.localAddress.port!
        let client = try PlainUDPSocket(receiveTimeout: 2)
        var replies = Self.exchange(client, proxyPort: proxyPort, count: 20)
        #expect(echo.senderPorts.count == 1)
        #expect(await proxy.execute("rebind 127.0.0.1:1") == "ok rebinding 0 flow(s)", "no flow for that client")
        // Through the control port, as `rudp proxy --control-port` takes it.
        let control = try await ProxyControlServer.start(proxy: proxy, port: 0)
        let connection = try LineConnection(port: control.localAddress.port!)
        #expect(connection.ask("rebind 127.0.0.1:\(client.port)") == "ok rebinding 1 flow(s)")
        #expect(connection.ask("rebind nowhere")?.hasPrefix("error:") == true)
        await control.shutdown()
        let statistics = await Self.eventually(proxy) { $0.flows.rebound == 1 }
        #expect(statistics.flows.rebound == 1 && statistics.flows.active == 1 && statistics.flows.failed == 0, "\(statistics)")
        replies += Self.exchange(client, proxyPort: proxyPort, count: 20)
        #expect(echo.senderPorts.count == 2, "the upstream saw the client move to a new port")
        #expect(await proxy.rebind() == 1)
        _ = await Self.eventually(proxy) { $0.flows.rebound == 2 }
        let last = Self.exchange(client, proxyPort: proxyPort, count: 20)
        #expect(echo.senderPorts.count == 3)
        #expect(last.count == 20 && Self.missing(last, count: 20) == 0)
        #expect(replies.count == 40)
        let final = await proxy.statistics()
        #expect(final.flows.opened == 1 && final.flows.failed == 0 && final.flows.rebound == 2, "\(final)")
        await proxy.shutdown()
    }

    @Test func theControlPortChangesImpairmentsAndAnswersEachLine() async throws {
        let echo = try PlainUDPEchoServer()
        defer { echo.stop() }
        let proxy = try await Self.startProxy(upstreamPort: echo.port)
        let control = try await ProxyControlServer.start(proxy: proxy, port: 0)
        let connection = try LineConnection(port: control.localAddress.port!)

        #expect(connection.ask("set loss=up:1 delay=down:5ms") == "ok")
        #expect(connection.ask("show")?.hasPrefix("up: loss 1,") == true)
        #expect(connection.ask("set loss=2")?.hasPrefix("error: invalid impairment") == true)
        #expect(connection.ask("fly")?.hasPrefix("error: invalid command") == true)
        let client = try PlainUDPSocket(receiveTimeout: 0.1)
        #expect(Self.exchange(client, proxyPort: proxy.localAddress.port!, count: 10).isEmpty)
        client.setReceiveTimeout(10)
        let json = try #require(connection.ask("stats"))
        let statistics = try JSONDecoder().decode(ProxyStatistics.self, from: Data(json.utf8))
        #expect(statistics.up.dropped.loss == 10)
        #expect(connection.ask("clear") == "ok")
        #expect(Self.exchange(client, proxyPort: proxy.localAddress.port!, count: 10).count == 10)
        #expect(connection.ask("partition 0.2 up") == "ok")
        #expect(connection.ask("quit") == "bye")
        #expect(await proxy.execute("show") == "up: \(Impairments.none) | down: \(Impairments.none)")

        // A line without end is cut off, and the server keeps serving others.
        let flooder = try LineConnection(port: control.localAddress.port!)
        #expect(flooder.ask(String(repeating: "x", count: 5000))?.hasPrefix("error: line longer") == true)
        let another = try LineConnection(port: control.localAddress.port!)
        #expect(another.ask("heal") == "ok")
        await control.shutdown()
        await proxy.shutdown()
    }
}
