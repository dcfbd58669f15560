import NIOCore
import Testing

@_spi(Testing) @testable import RUDP

@Suite("Connection IDs of the transport")
struct ConnectionIDSourceTests {
    /// One run: a server and a client with `configuration`; the client's and the server's connection IDs.
    static func run(_ configuration: RUDPConfiguration) async throws -> (client: ConnectionID, server: ConnectionID, sources: [String]) {
        let server = try await RUDPServer.bind(port: 0, configuration: configuration)
        let port = server.port
        do {
            let result = try await connect(server: server, port: port, configuration)
            await server.shutdown()
            return result
        } catch {
            await server.shutdown()
            throw error
        }
    }

    private static func connect(server: RUDPServer, port: Int, _ configuration: RUDPConfiguration) async throws
        -> (client: ConnectionID, server: ConnectionID, sources: [String])
    {
        try await withHangGuard("connect") {
            async let accepted: ConnectionID? = {
                for await connection in server.connections { return connection.id }
                return nil
            }()
            let client = try await RUDPClient.connect(host: "127.0.0.1", port: port, configuration: configuration)
            let serverID = try #require(await accepted)
            let sources = [
                try await client.driver.eventLoop.submit { client.driver.randomSourceName }.get(),
                try await server.driver.eventLoop.submit { server.driver.randomSourceName }.get(),
            ]
            await client.abort()
            return (client.id, serverID, sources)
        }
    }

    @Test("no seed reaches the transport's ID source: it is the system's secure generator")
    func noSeedReachesTheIDSource() async throws {
        // The configuration has no seed but the one of the injected-loss generator.
        let labels = Mirror(reflecting: RUDPConfiguration()).children.compactMap(\.label)
        #expect(labels.filter { $0.lowercased().contains("seed") } == ["lossSeed"])
        var configuration = testConfiguration(seed: 42)
        configuration.lossSeed = 42
        let run = try await Self.run(configuration)
        #expect(run.sources == ["SystemRandomNumberGenerator", "SystemRandomNumberGenerator"])
        for id in [run.client, run.server] {
            #expect(id.workerIndex == 0 && id.randomBits != 0, "\(id)")
        }
    }

    @Test("two runs with the same configuration give different IDs")
    func twoRunsDiffer() async throws {
        let configuration = testConfiguration(seed: 7)
        let first = try await Self.run(configuration)
        let second = try await Self.run(configuration)
        #expect(first.client != second.client, "client IDs \(first.client) and \(second.client)")
        #expect(first.server != second.server, "server IDs \(first.server) and \(second.server)")
        #expect(Set([first.client, first.server, second.client, second.server]).count == 4)
    }
}
