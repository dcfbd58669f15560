import Foundation
import NIOCore
import RUDP
import RUDPProxy
import Testing

/// Issue 11 point 5 over real loopback sockets: an echo transfer through a `UDPProxy` whose
/// upstream socket is rebound twice with the control command `rebind` (the server sees the
/// client move to a new source port, as after a NAT rebinding). The connection survives, every
/// message comes back intact and in order, and the server follows each new port once path
/// validation succeeded. One client, a few hundred messages, loopback only.
@Suite(.serialized) struct RebindingSocketTests {
    static let key = try! PreSharedKey(hexEncoded: String(repeating: "3c", count: 32), source: "test key")

    static func configuration(seed: UInt64, mode: SecurityMode?) -> RUDPConfiguration {
        var configuration = testConfiguration(seed: seed)
        configuration.security = mode.map { SecurityConfiguration(mode: $0, key: key) }
        return configuration
    }

    @Test("a client whose source port changes twice mid-transfer keeps its connection", arguments: [nil, SecurityMode.encrypted])
    func rebindingThroughTheProxy(mode: SecurityMode?) async throws {
        let server = try await RUDPServer.bind(port: 0, configuration: Self.configuration(seed: 90, mode: mode))
        let serving = startEchoServer(server)
        defer { serving.cancel() }
        let proxy = try await UDPProxy.start(
            listen: try SocketAddress(ipAddress: "127.0.0.1", port: 0),
            upstream: try SocketAddress(ipAddress: "127.0.0.1", port: server.port))
        let proxyPort = try #require(proxy.localAddress.port)
        let count = 300
        let messages = (0..<count).map { pseudoRandomBytes(count: 1 + ($0 * 977) % 4_000, seed: UInt64(500 + $0)) }
        let label = mode.map { "\($0)" } ?? "plain"
        let (echoed, switchTimes, elapsed) = try await withHangGuard("echo through rebinding proxy (\(label))") {
            () -> ([[UInt8]], [Double], Double) in
            let client = try await RUDPClient.connect(
                host: "127.0.0.1", port: proxyPort, configuration: Self.configuration(seed: 91, mode: mode))
            let started = ContinuousClock.now
            // A window of messages in flight: every echo lets the next message go, so the
            // client is sending when the proxy rebinds.
            let window = 32
            var next = 0
            while next < window { try await client.send(messages[next]); next += 1 }
            var echoed: [[UInt8]] = []
            var switchTimes: [Double] = []
            var iterator = client.messages.makeAsyncIterator()
            while echoed.count < count, let message = try await iterator.next() {
                echoed.append(message.bytes)
                if next < count {
                    try await client.send(messages[next])
                    next += 1
                }
                if echoed.count == count / 3 || echoed.count == 2 * count / 3 {
                    // Mid-transfer: the proxy gives the flow a new upstream port.
                    let before = await server.statistics().pathMigrations
                    let rebindAt = ContinuousClock.now
                    #expect(await proxy.execute("rebind") == "ok rebinding 1 flow(s)")
                    // Wait for the server to follow (the transport answers the challenge meanwhile).
                    var moved = -1.0
                    while ((ContinuousClock.now - rebindAt) / .seconds(1)) < 30 {
                        if await server.statistics().pathMigrations > before {
                            moved = (ContinuousClock.now - rebindAt) / .seconds(1)
                            break
                        }
                        try await Task.sleep(for: .milliseconds(2))
                    }
                    switchTimes.append(moved)
                }
            }
            let elapsed = (ContinuousClock.now - started) / .seconds(1)
            try await client.close()
            return (echoed, switchTimes, elapsed)
        }
        let intact = echoed == messages
        #expect(intact, "every message once, intact, in order (\(echoed.count) of \(count))")
        let statistics = await server.statistics()
        let relayed = await proxy.statistics()
        #expect(statistics.pathMigrations == 2, "\(statistics)")
        #expect(relayed.flows.rebound == 2 && relayed.flows.opened == 1, "\(relayed)")
        #expect(switchTimes.allSatisfy { $0 >= 0 }, "the server followed each new port: \(switchTimes)")
        print(
            String(
                format:
                    "rebinding through the proxy (\(label)): \(count) messages echoed in %.2f s; the server followed the new port after %@ s; \(statistics.pathValidationsStarted) validations, \(statistics.pathChallengesSent) challenges",
                elapsed, switchTimes.map { String(format: "%.3f", $0) }.joined(separator: " and ")))
        await proxy.shutdown()
        await server.shutdown()
        try await withHangGuard("serve returns after shutdown") { try await serving.value }
    }
}
