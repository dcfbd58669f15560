import Logging
import NIOCore
import RUDP
import RUDPProxy
import RUDPServiceLifecycle
import ServiceLifecycle
import Testing

/// `RUDPServer` and `UDPProxy` under a swift-service-lifecycle `ServiceGroup`: cancelling the
/// group or triggering its graceful shutdown shuts them down, tells the clients, and closes the
/// sockets.
@Suite("Service lifecycle")
struct ServiceLifecycleTests {
    static let logger = Logger(label: "rudp.test.lifecycle")

    /// Connects, exchanges one message, and returns the connection.
    static func echoOnce(port: Int, seed: UInt64) async throws -> RUDPConnection {
        try await withHangGuard("connect and echo") {
            let client = try await RUDPClient.connect(host: "127.0.0.1", port: port, configuration: testConfiguration(seed: seed))
            try await client.send(Array("ping".utf8))
            var iterator = client.messages.makeAsyncIterator()
            _ = try await iterator.next()
            return client
        }
    }

    /// Waits until `client` learned why it closed.
    static func closeReason(of client: RUDPConnection) async throws -> CloseReason? {
        try await withHangGuard("the client sees the shutdown") {
            while await client.closeReason() == nil { try await Task.sleep(for: .milliseconds(10)) }
            return await client.closeReason()
        }
    }

    @Test("A server service shuts down when its ServiceGroup's task is cancelled")
    func serverStopsOnCancellation() async throws {
        let server = try await RUDPServer.bind(port: 0, configuration: testConfiguration(seed: 170))
        let port = server.port
        let group = ServiceGroup(
            services: [
                server.service { connection in
                    for try await message in connection.messages { try await connection.send(message.bytes) }
                }
            ], logger: Self.logger)
        let running = Task { try await group.run() }
        let client = try await Self.echoOnce(port: port, seed: 171)
        running.cancel()
        try await withHangGuard("the group returns after cancellation") { try await running.value }
        #expect(try await Self.closeReason(of: client) == .peerClosed(.serverShutdown, "server shutting down"))
        #expect(await UDPSocketTable.waitUntilUnbound(port: port), "the server's socket on port \(port) is still open")
    }

    @Test("A plain RUDPServer service and a serveMessages loop end on the group's graceful shutdown")
    func serverStopsOnGracefulShutdown() async throws {
        let server = try await RUDPServer.bind(port: 0, configuration: testConfiguration(seed: 172))
        let port = server.port
        let group = ServiceGroup(services: [server], logger: Self.logger)
        let running = Task { try await group.run() }
        let serving = Task {
            await server.serveMessages { connection, message in try await connection.send(message.bytes) }
        }
        let client = try await Self.echoOnce(port: port, seed: 173)
        await group.triggerGracefulShutdown()
        try await withHangGuard("the group returns after graceful shutdown") { try await running.value }
        try await withHangGuard("serveMessages returns") { await serving.value }
        #expect(try await Self.closeReason(of: client) == .peerClosed(.serverShutdown, "server shutting down"))
        #expect(await UDPSocketTable.waitUntilUnbound(port: port), "the server's socket on port \(port) is still open")
    }

    @Test("A message service stops on graceful shutdown")
    func messageServiceStops() async throws {
        let server = try await RUDPServer.bind(port: 0, configuration: testConfiguration(seed: 174))
        let port = server.port
        let group = ServiceGroup(
            services: [
                server.messageService { connection, message in
                    try await connection.send(message.bytes)
                }
            ], logger: Self.logger)
        let running = Task { try await group.run() }
        let client = try await Self.echoOnce(port: port, seed: 175)
        await group.triggerGracefulShutdown()
        try await withHangGuard("the group returns") { try await running.value }
        #expect(try await Self.closeReason(of: client) == .peerClosed(.serverShutdown, "server shutting down"))
        #expect(await UDPSocketTable.waitUntilUnbound(port: port), "the server's socket on port \(port) is still open")
    }

    @Test("A UDPProxy service closes its socket when its ServiceGroup is cancelled, and keeps its final counters")
    func proxyStopsOnCancellation() async throws {
        let server = try await RUDPServer.bind(port: 0, configuration: testConfiguration(seed: 176))
        let serving = startEchoServer(server)
        let proxy = try await UDPProxy.start(
            listen: try SocketAddress(ipAddress: "127.0.0.1", port: 0),
            upstream: try SocketAddress(ipAddress: "127.0.0.1", port: server.port))
        let proxyPort = try #require(proxy.localAddress.port)
        let group = ServiceGroup(services: [proxy], logger: Self.logger)
        let running = Task { try await group.run() }
        let client = try await Self.echoOnce(port: proxyPort, seed: 177)
        running.cancel()
        try await withHangGuard("the group returns after cancellation") { try await running.value }
        #expect(await UDPSocketTable.waitUntilUnbound(port: proxyPort), "the proxy's socket on port \(proxyPort) is still open")
        #expect(await proxy.statistics().up.forwarded > 0)
        await client.abort()
        await server.shutdown()
        try await withHangGuard("serve returns") { try await serving.value }
    }
}
