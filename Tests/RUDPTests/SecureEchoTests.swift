import NIOCore
import RUDP
import RUDPProxy
import Testing

/// Packet security over real loopback sockets: encrypted and authenticated echo, and the errors
/// for a wrong key, a key on one side only, and different modes.
@Suite("Security over loopback sockets")
struct SecureEchoTests {
    static let key = try! PreSharedKey(hexEncoded: String(repeating: "5a", count: 32), source: "test key")
    static let otherKey = try! PreSharedKey(hexEncoded: String(repeating: "a5", count: 32), source: "other test key")

    /// A test configuration; tests that expect the connect to fail use a short connect timeout.
    static func configuration(
        seed: UInt64, mode: SecurityMode?, key: PreSharedKey = key,
        connectTimeout: Duration = .seconds(60)
    ) -> RUDPConfiguration {
        var configuration = testConfiguration(seed: seed)
        configuration.connection.connectTimeout = connectTimeout
        configuration.security = mode.map { SecurityConfiguration(mode: $0, key: key) }
        return configuration
    }

    /// Connects and returns the error, or nil if it connected (then closes).
    static func connectError(port: Int, _ configuration: RUDPConfiguration) async throws -> RUDPError? {
        try await withHangGuard("connect") { () -> RUDPError? in
            do {
                let client = try await RUDPClient.connect(host: "127.0.0.1", port: port, configuration: configuration)
                try await client.close()
                return nil
            } catch let error as RUDPError {
                return error
            }
        }
    }

    @Test("Echo works authenticated and encrypted", arguments: [SecurityMode.authenticated, .encrypted])
    func echo(mode: SecurityMode) async throws {
        let server = try await RUDPServer.bind(port: 0, configuration: Self.configuration(seed: 20, mode: mode))
        let serving = startEchoServer(server)
        defer { serving.cancel() }
        try await withHangGuard("secure echo") {
            let client = try await RUDPClient.connect(
                host: "127.0.0.1", port: server.port,
                configuration: Self.configuration(seed: 21, mode: mode))
            var iterator = client.messages.makeAsyncIterator()
            for i in 0..<40 {
                let payload = pseudoRandomBytes(count: 1 + i * 211, seed: UInt64(i))
                try await client.send(payload)
                #expect(try await iterator.next()?.bytes == payload)
            }
            let big = pseudoRandomBytes(count: 300_000, seed: 99)
            try await client.send(big)
            #expect(try await iterator.next()?.bytes == big)
            let statistics = await client.statistics()
            #expect(statistics.authenticationFailures == 0 && statistics.packetsReceived > 0)
            try await client.close()
            #expect(await client.closeReason() == .closedLocally)
        }
        let endpoint = await server.statistics()
        #expect(endpoint.retriesSent >= 1 && endpoint.connectionsAccepted == 1)
        await server.shutdown()
        try await withHangGuard("serve returns after shutdown") { try await serving.value }
    }

    @Test("Encrypted echo over IPv6 (retry cookies bind the 16-byte address and the port)")
    func echoOverIPv6() async throws {
        let server = try await RUDPServer.bind(host: "::1", port: 0, configuration: Self.configuration(seed: 60, mode: .encrypted))
        let serving = startEchoServer(server)
        defer { serving.cancel() }
        try await withHangGuard("secure echo over IPv6") {
            let client = try await RUDPClient.connect(
                host: "::1", port: server.port, configuration: Self.configuration(seed: 61, mode: .encrypted))
            var iterator = client.messages.makeAsyncIterator()
            let payload = pseudoRandomBytes(count: 5000, seed: 7)
            try await client.send(payload)
            #expect(try await iterator.next()?.bytes == payload)
            try await client.close()
        }
        await server.shutdown()
    }

    @Test("A secure server shutting down tells its clients, protected")
    func shutdownReachesSecureClients() async throws {
        let server = try await RUDPServer.bind(port: 0, configuration: Self.configuration(seed: 70, mode: .encrypted))
        let serving = startEchoServer(server)
        let port = server.port
        let client = try await withHangGuard("connect") {
            try await RUDPClient.connect(host: "127.0.0.1", port: port, configuration: Self.configuration(seed: 71, mode: .encrypted))
        }
        var iterator = client.messages.makeAsyncIterator()
        try await client.send([1, 2, 3])
        #expect(try await iterator.next()?.bytes == [1, 2, 3])
        await server.shutdown()
        try await withHangGuard("serve returns after shutdown") { try await serving.value }
        let reason = try await withHangGuard("client notices the shutdown") { () -> CloseReason? in
            while await client.closeReason() == nil { try await Task.sleep(for: .milliseconds(10)) }
            return await client.closeReason()
        }
        #expect(reason == .peerClosed(.serverShutdown, "server shutting down"))
        #expect(await client.statistics().unprotectedPacketsDropped == 0)
    }

    @Test(
        "Through a proxy that duplicates, corrupts, reorders and loses real datagrams, the encrypted echo stays intact and every bad datagram is counted"
    )
    func echoThroughAHostileProxy() async throws {
        let server = try await RUDPServer.bind(port: 0, configuration: Self.configuration(seed: 80, mode: .encrypted))
        let serving = startEchoServer(server)
        defer { serving.cancel() }
        let hostile = Impairments(loss: 0.03, duplication: 0.2, reordering: 0.1, corruption: 0.1)
        let proxy = try await UDPProxy.start(
            listen: try SocketAddress(ipAddress: "127.0.0.1", port: 0),
            upstream: try SocketAddress(ipAddress: "127.0.0.1", port: server.port),
            configuration: ProxyConfiguration(impairments: ProxyImpairments(both: hostile), seed: 81))
        let proxyPort = try #require(proxy.localAddress.port)
        let statistics = try await withHangGuard("secure echo through the hostile proxy (proxy seed 81)") { () -> ConnectionStatistics in
            var configuration = Self.configuration(seed: 82, mode: .encrypted)
            configuration.connection.connectTimeout = .seconds(60)
            let client = try await RUDPClient.connect(host: "127.0.0.1", port: proxyPort, configuration: configuration)
            var iterator = client.messages.makeAsyncIterator()
            for i in 0..<150 {
                let payload = pseudoRandomBytes(count: 1 + (i * 733) % 6000, seed: UInt64(1000 + i))
                try await client.send(payload)
                #expect(try await iterator.next()?.bytes == payload, "message \(i)")
            }
            let statistics = await client.statistics()
            try await client.close()
            return statistics
        }
        #expect(statistics.authenticationFailures > 0, "corrupted datagrams must fail authentication: \(statistics)")
        #expect(statistics.replayedPacketsDropped > 0, "duplicated datagrams must be dropped as replays: \(statistics)")
        let relayed = await proxy.statistics()
        #expect(relayed.down.corrupted > 0 && relayed.down.duplicated > 0, "\(relayed)")
        await proxy.shutdown()
        await server.shutdown()
    }

    @Test("A wrong key times out quickly with a clear message")
    func wrongKey() async throws {
        let server = try await RUDPServer.bind(port: 0, configuration: Self.configuration(seed: 30, mode: .encrypted))
        let serving = startEchoServer(server)
        defer { serving.cancel() }
        let error = try await Self.connectError(
            port: server.port, Self.configuration(seed: 31, mode: .encrypted, key: Self.otherKey, connectTimeout: .milliseconds(800)))
        #expect(error?.code == .connectTimedOut)
        #expect(error?.message.contains("did not answer a valid encrypted handshake") == true, "\(String(describing: error))")
        #expect(error?.message.contains("same pre-shared key and security mode") == true)
        let endpoint = await server.statistics()
        #expect(endpoint.handshakeAuthenticationFailures >= 1 && endpoint.connectionsAccepted == 0 && endpoint.datagramsSent == 0)
        await server.shutdown()
    }

    @Test("A key on the server only: the plain client fails fast with securityMismatch")
    func keyOnServerOnly() async throws {
        let server = try await RUDPServer.bind(port: 0, configuration: Self.configuration(seed: 40, mode: .encrypted))
        let serving = startEchoServer(server)
        defer { serving.cancel() }
        // A connect timeout far beyond the wait: securityMismatch (not connectTimedOut, not the
        // test's own 30 s bound) shows that the client failed on the server's answer.
        var plain = Self.configuration(seed: 41, mode: nil)
        plain.connection.connectTimeout = .seconds(120)
        let error = try await Self.connectError(port: server.port, plain)
        #expect(error?.code == .securityMismatch)
        #expect(error?.message.contains("requires packet security") == true, "\(String(describing: error))")
        #expect(await server.statistics().connectionsAccepted == 0)
        await server.shutdown()
    }

    @Test(
        "A key on the client only, or another mode: securityMismatch at the connect timeout",
        arguments: [(SecurityMode?.none, "no packet security configured"), (.authenticated, "another security mode")])
    func keyOnClientOnly(serverMode: SecurityMode?, expected: String) async throws {
        let server = try await RUDPServer.bind(port: 0, configuration: Self.configuration(seed: 50, mode: serverMode))
        let serving = startEchoServer(server)
        defer { serving.cancel() }
        // 8 s: room for the server's answer to arrive on a loaded machine before the timeout
        // reports it (3 s once was not, in a full parallel run at load 6).
        let error = try await Self.connectError(
            port: server.port, Self.configuration(seed: 51, mode: .encrypted, connectTimeout: .seconds(8)))
        #expect(error?.code == .securityMismatch)
        #expect(error?.message.contains(expected) == true, "\(String(describing: error))")
        #expect(await server.statistics().connectionsAccepted == 0)
        await server.shutdown()
    }
}
