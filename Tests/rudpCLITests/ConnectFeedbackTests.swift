import Foundation
import Testing

/// What a user sees when the other side is not there or has another key.
@Suite struct ConnectFeedbackTests {
    @Test(arguments: ["127.0.0.1", "::1"])
    func echoClientToAClosedPortAsksWhetherTheServerRuns(host: String) async throws {
        // --timeout 120: only the host's ICMP port-unreachable answer can end it early.
        let port = try await ChildProcess.withRudp(["echo-server", "--host", host, "--port", "0"]) { server in
            let port = try await server.listeningPort()
            server.send(signal: SIGINT)
            try await server.waitForExit()
            return port
        }
        let result = try await ChildProcess.run(
            ["echo-client", "--host", host, "--port", "\(port)", "--timeout", "120", "Alice"],
            seconds: HangGuard.processSeconds)
        #expect(result.status == 1)
        CLIProcessTests.expectCleanError(result.error, mentioning: ["is the server running?"])
        #expect(!result.error.contains("timed out"), "\(result.error)")
    }

    @Test func aServerWithAnotherKeyWarnsAtTheDefaultLogLevel() async throws {
        let directory = try CLIProcessTests.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let serverKey = directory.appendingPathComponent("server.key").path, clientKey = directory.appendingPathComponent("client.key").path
        for key in [serverKey, clientKey] {
            let made = try await ChildProcess.run(["keygen", "--output", key], seconds: HangGuard.processSeconds)
            #expect(made.status == 0)
        }
        let (client, serverError) = try await ChildProcess.withRudp(["echo-server", "--port", "0", "--psk-file", serverKey]) { server in
            let port = try await server.listeningPort()
            let client = try await ChildProcess.run(
                ["echo-client", "--port", "\(port)", "--timeout", "2", "--psk-file", clientKey, "Alice"],
                seconds: HangGuard.processSeconds)
            // The warning comes while the server runs, not only in its exit summary.
            let warned = server.standardError
            server.send(signal: SIGINT)
            try await server.waitForExit()
            return (client, warned)
        }
        #expect(client.status == 1)
        #expect(serverError.contains("warning") && serverError.contains("failed authentication"), "\(serverError)")
    }
}
