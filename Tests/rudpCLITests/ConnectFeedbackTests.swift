import Foundation
import Testing

/// What a user sees when the other side is not there or has another key.
@Suite struct ConnectFeedbackTests {
    @Test(arguments: ["127.0.0.1", "::1"])
    func echoClientToAClosedPortAsksWhetherTheServerRuns(host: String) async throws {
        // --timeout 120: only the host's ICMP port-unreachable answer can end it early.
        let result = try await OffPool.run { () -> RudpProcess.Result in
            let server = try RudpProcess(["echo-server", "--host", host, "--port", "0"])
            let port = try RudpProcess.port(
                inListeningLine: try server.waitForOutputLine(containing: "listening on", seconds: HangGuard.processSeconds))
            server.send(signal: SIGINT)
            _ = try server.waitForExit(seconds: HangGuard.processSeconds)
            return try RudpProcess.runBlocking(
                ["echo-client", "--host", host, "--port", "\(port)", "--timeout", "120", "Alice"],
                seconds: HangGuard.processSeconds)
        }
        #expect(result.status == 1)
        CLIProcessTests.expectCleanError(result.error, mentioning: ["is the server running?"])
        #expect(!result.error.contains("timed out"), "\(result.error)")
    }

    @Test func aServerWithAnotherKeyWarnsAtTheDefaultLogLevel() async throws {
        let directory = try CLIProcessTests.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let serverKey = directory.appendingPathComponent("server.key").path, clientKey = directory.appendingPathComponent("client.key").path
        for key in [serverKey, clientKey] {
            let made = try await RudpProcess.run(["keygen", "--output", key], seconds: HangGuard.processSeconds)
            #expect(made.status == 0)
        }
        let (client, serverError) = try await OffPool.run {
            let server = try RudpProcess(["echo-server", "--port", "0", "--psk-file", serverKey])
            defer { server.stop() }
            let port = try RudpProcess.port(
                inListeningLine: try server.waitForOutputLine(containing: "listening on", seconds: HangGuard.processSeconds))
            let client = try RudpProcess.runBlocking(
                ["echo-client", "--port", "\(port)", "--timeout", "2", "--psk-file", clientKey, "Alice"],
                seconds: HangGuard.processSeconds)
            // The warning comes while the server runs, not only in its exit summary.
            let warned = server.standardError.text
            server.send(signal: SIGINT)
            _ = try server.waitForExit(seconds: HangGuard.processSeconds)
            return (client, warned)
        }
        #expect(client.status == 1)
        #expect(serverError.contains("warning") && serverError.contains("failed authentication"), "\(serverError)")
    }
}
