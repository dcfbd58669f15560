import Foundation
import NIOCore
import Testing

@testable import RUDP

@Suite("Port unreachable")
struct PortUnreachableTests {
    /// A UDP port on `host` that nothing listens on (bound a moment ago, then closed).
    static func closedPort(host: String) async throws -> Int {
        let server = try await RUDPServer.bind(host: host, port: 0, configuration: testConfiguration(seed: 140))
        let port = server.port
        await server.shutdown()
        return port
    }

    @Test(
        "With failsWhenPortUnreachable, a CONNECT to a closed port fails at once with connectionRefused",
        arguments: ["127.0.0.1", "::1"])
    func refusedAtOnce(host: String) async throws {
        let port = try await Self.closedPort(host: host)
        var configuration = testConfiguration(seed: 141)
        configuration.failsWhenPortUnreachable = true
        // The connect timeout is a minute: only the ICMP answer can end the attempt early.
        let settings = configuration
        let error = try await withHangGuard("refused connect") { () -> RUDPError? in
            do {
                _ = try await RUDPClient.connect(host: host, port: port, configuration: settings)
                return nil
            } catch let error as RUDPError {
                return error
            }
        }
        #expect(error?.code == .connectionRefused, "\(String(describing: error))")
        #expect(error?.message.contains("is the server running?") == true)
    }

    @Test("By default a client retries through port-unreachable answers until its server starts")
    func retriesByDefault() async throws {
        let port = try await Self.closedPort(host: "127.0.0.1")
        let connecting = Task { try await RUDPClient.connect(host: "127.0.0.1", port: port, configuration: testConfiguration(seed: 142)) }
        try await Task.sleep(for: .milliseconds(600))  // several CONNECTs answered with ICMP
        let server = try await RUDPServer.bind(port: port, configuration: testConfiguration(seed: 143))
        let serving = startEchoServer(server)
        try await withHangGuard("late server") {
            let client = try await connecting.value
            try await client.sendAndWaitForAcknowledgement([1])
            try await client.close()
        }
        await server.shutdown()
        try await withHangGuard("serve returns") { try await serving.value }
    }
}
