import Foundation
import Testing

/// `--psk-file`, `--security` and `RUDP_PSK` on the real `rudp` binary: keys that work, and keys
/// that are refused with a clear message naming the fix and never the key.
@Suite struct SecurityCLITests {
    /// A key file written by `rudp keygen` in `directory`; returns its path.
    static func makeKey(in directory: URL, name: String = "rudp.key") async throws -> String {
        let path = directory.appendingPathComponent(name).path
        let result = try await ChildProcess.run(["keygen", "--output", path], seconds: HangGuard.processSeconds)
        #expect(result.status == 0, "\(result.error)")
        return path
    }

    /// A key file with `contents` and permissions `mode`; returns its path.
    static func writeKeyFile(_ contents: String, mode: Int, in directory: URL, name: String) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    /// Whether any 8 consecutive characters of `key` appear in `text` (a key must never be echoed).
    static func leaksKey(_ key: String, in text: String) -> Bool {
        let characters = Array(key)
        guard characters.count >= 8 else { return false }
        return (0...(characters.count - 8)).contains { text.contains(String(characters[$0..<($0 + 8)])) }
    }

    /// Runs an echo server with `serverArguments`/`serverEnvironment` and one client with
    /// `clientArguments`/`clientEnvironment` (both on top of the port and a name); returns the
    /// client's result and the server's transcript.
    static func echo(
        serverArguments: [String], serverEnvironment: [String: String] = [:],
        clientArguments: [String], clientEnvironment: [String: String] = [:],
        clientTimeout: Double = 30
    ) async throws -> (client: ChildProcess.Result, serverTranscript: String) {
        try await ChildProcess.withRudp(["echo-server", "--port", "0"] + serverArguments, environment: serverEnvironment) { server in
            let port = try await server.listeningPort()
            let client = try await ChildProcess.run(
                ["echo-client", "--port", "\(port)", "--timeout", "\(clientTimeout)"] + clientArguments + ["Alice", "Bob"],
                environment: clientEnvironment, seconds: clientTimeout + 60
            )
            server.send(signal: SIGINT)
            try await server.waitForExit()
            return (client, server.transcript)
        }
    }

    /// What an echo client saw against a server: its result and how long it ran.
    struct ClientRun: Sendable {
        var result: ChildProcess.Result
        var seconds: Double
    }

    /// Starts an echo server with `serverArguments`, runs one echo client per entry of `clients`
    /// (extra arguments and the name Alice) one after the other, then stops the server; returns
    /// the clients' runs and the server's transcript. Clients expected to fail get a 2-second
    /// --timeout (a wrong key fails only at the connect timeout); a client expected to succeed
    /// should add a longer `--timeout` of its own (the last one given wins).
    static func echoClients(serverArguments: [String], clients: [[String]]) async throws -> (clients: [ClientRun], serverTranscript: String)
    {
        try await ChildProcess.withRudp(["echo-server", "--port", "0"] + serverArguments) { server in
            let port = try await server.listeningPort()
            var runs: [ClientRun] = []
            for arguments in clients {
                let start = ContinuousClock.now
                let result = try await ChildProcess.run(
                    ["echo-client", "--port", "\(port)", "--timeout", "2"] + arguments + ["Alice"], seconds: HangGuard.processSeconds
                )
                runs.append(ClientRun(result: result, seconds: (ContinuousClock.now - start) / .seconds(1)))
            }
            server.send(signal: SIGINT)
            try await server.waitForExit()
            return (runs, server.transcript)
        }
    }

    @Test func wrongKeyFailsWithinTheConnectTimeoutAndTheRightKeyStillWorks() async throws {
        let directory = try CLIProcessTests.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let serverKey = try await Self.makeKey(in: directory, name: "server.key")
        let otherKey = try await Self.makeKey(in: directory, name: "other.key")
        let (clients, serverTranscript) = try await Self.echoClients(
            serverArguments: ["--psk-file", serverKey],
            clients: [["--psk-file", otherKey], ["--psk-file", serverKey, "--timeout", "120"]]
        )
        let wrong = clients[0], right = clients[1]
        #expect(wrong.result.status != 0)
        #expect(wrong.result.output.isEmpty, "\(wrong.result.output)")
        CLIProcessTests.expectCleanError(
            wrong.result.error,
            mentioning: [
                "timed out", "valid encrypted handshake", "same pre-shared key and security mode", "--psk-file", "--security",
            ])
        // The connect timeout is 2 s; the bound is only a hang guard (a loaded machine can delay
        // the process by much more than the timeout itself).
        #expect(wrong.seconds < HangGuard.processSeconds, "the wrong-key client took \(wrong.seconds) s with --timeout 2")
        for key in [serverKey, otherKey] {
            let keyText = try String(contentsOfFile: key, encoding: .utf8)
            #expect(!Self.leaksKey(keyText, in: wrong.result.error + serverTranscript))
        }
        #expect(right.result.status == 0, "\(right.result.error)")
        #expect(right.result.output == "Hello, Alice!\n")
        // The server noticed: the wrong key's CONNECTs failed authentication.
        let failures = serverTranscript.split(separator: "\n").first { $0.hasPrefix("security: ") && $0.contains("failed authentication") }
        let count = failures.flatMap { Int($0.split(separator: " ")[1]) } ?? 0
        #expect(count >= 1, "\(serverTranscript)")
    }

    @Test func keyOnOneSideOnlyIsAClearError() async throws {
        let directory = try CLIProcessTests.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = try await Self.makeKey(in: directory)

        // Secure server: a plain client is told at once (a long --timeout, so that only the
        // server's answer can end it); a client in the other mode at its timeout (4 s, so that
        // the server's diagnostic has time to arrive even on a loaded machine).
        let (againstSecure, secureTranscript) = try await Self.echoClients(
            serverArguments: ["--psk-file", key],
            clients: [["--timeout", "120"], ["--psk-file", key, "--security", "authenticated", "--timeout", "4"]]
        )
        let plainClient = againstSecure[0].result, otherMode = againstSecure[1].result
        #expect(plainClient.status != 0)
        CLIProcessTests.expectCleanError(plainClient.error, mentioning: ["requires packet security", "--psk-file", "RUDP_PSK"])
        #expect(otherMode.status != 0)
        CLIProcessTests.expectCleanError(otherMode.error, mentioning: ["another security mode", "--security"])
        #expect(
            secureTranscript.contains("without security or in another mode") && secureTranscript.contains("told so"), "\(secureTranscript)")

        // Plain server: a client with a key learns that the server has none (at its timeout).
        let (againstPlain, _) = try await Self.echoClients(serverArguments: [], clients: [["--psk-file", key, "--timeout", "4"]])
        let secureClient = againstPlain[0].result
        #expect(secureClient.status != 0)
        CLIProcessTests.expectCleanError(secureClient.error, mentioning: ["no packet security configured", "--psk-file"])
        #expect(againstPlain[0].seconds < HangGuard.processSeconds, "the connect timeout is 4 s; the bound is only a hang guard")
    }

    /// The integers in `line`, in order.
    static func integers(in line: String) -> [Int] {
        line.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
    }

    @Test func encryptedEchoThroughALossyCorruptingProxyArrivesIntact() async throws {
        let directory = try CLIProcessTests.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = try await Self.makeKey(in: directory)
        let clientCount = 6
        let names = (1...8).map { "name \($0)" }
        let (clients, serverTranscript, proxyTranscript) = try await ChildProcess.withRudp([
            "echo-server", "--port", "0", "--psk-file", key,
        ]) { server in
            let serverPort = try await server.listeningPort()
            return try await ChildProcess.withRudp([
                "proxy", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:\(serverPort)",
                "--loss", "0.1", "--corrupt", "0.2", "--duplicate", "0.2", "--seed", "11",
            ]) { proxy in
                let proxyPort = try await proxy.listeningPort()
                var clients: [ChildProcess.Result] = []
                for _ in 0..<clientCount {
                    clients.append(
                        try await ChildProcess.run(
                            ["echo-client", "--port", "\(proxyPort)", "--timeout", "120", "--psk-file", key] + names,
                            seconds: HangGuard.transferSeconds
                        ))
                }
                proxy.send(signal: SIGINT)
                try await proxy.waitForExit()
                server.send(signal: SIGINT)
                try await server.waitForExit()
                return (clients, server.transcript, proxy.transcript)
            }
        }
        for client in clients {
            #expect(client.status == 0, "\(client.error)\n\(proxyTranscript)")
            #expect(client.output == names.map { "Hello, \($0)!\n" }.joined(), "\(client.output)")
        }
        // The proxy flipped bits in datagrams to the server; the tag caught them (a flip in a
        // connection ID makes a datagram unroutable instead, so only "some" is certain).
        let corruptedUp =
            proxyTranscript.split(separator: "\n").last { $0.hasPrefix("up:") && $0.contains("corrupted") }
            .map { String($0) }.flatMap { line in
                line.components(separatedBy: "corrupted ").dropFirst().last.flatMap { Self.integers(in: $0).first }
            } ?? 0
        let securityLine = serverTranscript.split(separator: "\n").first { $0.hasPrefix("security:") }.map(String.init) ?? ""
        let counts = Self.integers(in: securityLine)
        #expect(counts.count == 4, "\(serverTranscript)")
        if counts.count == 4, corruptedUp >= 3 {
            #expect(
                counts[0] + counts[2] >= 1,
                "the proxy corrupted \(corruptedUp) datagrams to the server, none failed authentication:\n\(serverTranscript)\n\(proxyTranscript)"
            )
        }
    }

    @Test func recvWithAnotherKeyThanTheSenderSaysWhyNobodyConnected() async throws {
        let directory = try CLIProcessTests.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let receiverKey = try await Self.makeKey(in: directory, name: "receiver.key")
        let senderKey = try await Self.makeKey(in: directory, name: "sender.key")
        let input = directory.appendingPathComponent("input.bin"), output = directory.appendingPathComponent("output.bin")
        try Data([1, 2, 3, 4]).write(to: input)
        // --timeout 20 leaves the sender (--timeout 1) time to start and try, even on a loaded machine.
        let (sender, receiverStatus, receiverError) = try await ChildProcess.withRudp([
            "recv", "--port", "0", "--output", output.path, "--timeout", "20", "--psk-file", receiverKey,
        ]) { receiver in
            let port = try await receiver.listeningPort()
            let sender = try await ChildProcess.run(
                ["send", input.path, "--to", "127.0.0.1:\(port)", "--timeout", "1", "--psk-file", senderKey],
                seconds: HangGuard.processSeconds
            )
            let status = try await receiver.waitForExit()
            return (sender, status, receiver.standardError)
        }
        #expect(sender.status != 0)
        CLIProcessTests.expectCleanError(
            sender.error, mentioning: ["cannot connect to the receiver", "same pre-shared key and security mode", "--psk-file"])
        #expect(receiverStatus != 0)
        CLIProcessTests.expectCleanError(
            receiverError, mentioning: ["timed out", "failed authentication (a peer with another key)", "--psk-file"])
        #expect(!FileManager.default.fileExists(atPath: output.path))
    }

    @Test func keygenThenEchoWithTheSameKeyFileWorks() async throws {
        let directory = try CLIProcessTests.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = try await Self.makeKey(in: directory)
        let permissions = try FileManager.default.attributesOfItem(atPath: key)[.posixPermissions] as? Int
        #expect(permissions == 0o600)

        // A malformed RUDP_PSK on the client proves --psk-file wins over the environment.
        let (client, serverTranscript) = try await Self.echo(
            serverArguments: ["--psk-file", key, "--log-level", "trace"],
            clientArguments: ["--psk-file", key, "--log-level", "trace"], clientEnvironment: ["RUDP_PSK": "not a key"]
        )
        #expect(client.status == 0, "\(client.error)\n\(serverTranscript)")
        #expect(client.output == "Hello, Alice!\nHello, Bob!\n")
        #expect(serverTranscript.contains("connections are encrypted"), "\(serverTranscript)")
        let keyText = try String(contentsOfFile: key, encoding: .utf8)
        #expect(!Self.leaksKey(keyText, in: serverTranscript + client.output + client.error))
    }

    @Test func keyFromTheEnvironmentWorksInAuthenticatedMode() async throws {
        let directory = try CLIProcessTests.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let keyText = try String(contentsOfFile: try await Self.makeKey(in: directory), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let environment = ["RUDP_PSK": keyText]
        let (client, serverTranscript) = try await Self.echo(
            serverArguments: ["--security", "authenticated"], serverEnvironment: environment,
            clientArguments: ["--security", "authenticated"], clientEnvironment: environment
        )
        #expect(client.status == 0, "\(client.error)\n\(serverTranscript)")
        #expect(client.output == "Hello, Alice!\nHello, Bob!\n")
        #expect(serverTranscript.contains("connections are authenticated"), "\(serverTranscript)")
        #expect(serverTranscript.contains("environment variable RUDP_PSK"), "\(serverTranscript)")
        #expect(!Self.leaksKey(keyText, in: serverTranscript + client.output + client.error))
    }

    /// Each networking command with the least arguments it needs, to which a key option is added.
    static let commands: [[String]] = [
        ["echo-server", "--port", "0"],
        ["echo-client", "--port", "9", "--timeout", "1", "Alice"],
        ["send", "/dev/null", "--to", "127.0.0.1:9", "--timeout", "1"],
        ["recv", "--port", "0", "--output", "/nonexistent-dir/never-written.bin", "--timeout", "1"],
        ["demo", "--messages", "1"],
        ["bench", "--messages", "10", "--warmup", "0"],
    ]

    @Test(arguments: ["echo-server", "echo-client", "send", "recv", "demo", "bench"])
    func helpSaysWhichKeySourceWinsAndToKeepTheKeyOffTheCommandLine(subcommand: String) async throws {
        let result = try await ChildProcess.run([subcommand, "--help"], seconds: HangGuard.processSeconds)
        #expect(result.status == 0, "\(result.error)")
        let text = result.output.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for phrase in [
            "SECURITY:", "--psk-file wins when both are given", "Never put the key itself on the command line", "authenticated",
            "encrypted", "rudp keygen",
        ] {
            #expect(text.contains(phrase), "'\(subcommand) --help' does not say '\(phrase)':\n\(result.output)")
        }
    }

    @Test(arguments: commands)
    func worldReadableKeyFileIsRefusedWithTheChmodHint(command: [String]) async throws {
        let directory = try CLIProcessTests.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let keyText = String(repeating: "3c", count: 32)
        let path = try Self.writeKeyFile(keyText + "\n", mode: 0o644, in: directory, name: "open.key")
        let result = try await ChildProcess.run(command + ["--psk-file", path], seconds: HangGuard.processSeconds)
        #expect(result.status != 0)
        CLIProcessTests.expectCleanError(result.error, mentioning: [path, "group or others", "chmod 600 \(path)"])
        #expect(!Self.leaksKey(keyText, in: result.output + result.error))
        #expect(!result.output.contains("listening on"), "started despite the insecure key file: \(result.output)")
    }

    @Test(arguments: commands)
    func missingKeyFileIsRefusedWithTheKeygenHint(command: [String]) async throws {
        let result = try await ChildProcess.run(command + ["--psk-file", "/nonexistent/rudp.key"], seconds: HangGuard.processSeconds)
        #expect(result.status != 0)
        CLIProcessTests.expectCleanError(
            result.error, mentioning: ["/nonexistent/rudp.key", "No such file", "rudp keygen --output /nonexistent/rudp.key"])
    }

    @Test(arguments: [
        ("0123456789abcdef\n", "found 16 characters before the newline"),
        (String(repeating: "ab", count: 31) + "zz\n", "character 63 is not a hex digit"),
        (String(repeating: "ab", count: 32) + "\n\n", "found 65 characters"),
    ])
    func malformedKeyFileIsRefused(contents: String, reason: String) async throws {
        let directory = try CLIProcessTests.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try Self.writeKeyFile(contents, mode: 0o600, in: directory, name: "bad.key")
        let result = try await ChildProcess.run(
            ["echo-client", "--port", "9", "--timeout", "1", "--psk-file", path, "Alice"], seconds: HangGuard.processSeconds)
        #expect(result.status != 0)
        CLIProcessTests.expectCleanError(result.error, mentioning: [path, "not a valid key", reason, "64 hex digits", "rudp keygen"])
        #expect(!Self.leaksKey(contents.trimmingCharacters(in: .whitespacesAndNewlines), in: result.output + result.error))
    }

    @Test func malformedEnvironmentKeyIsRefused() async throws {
        let almostAKey = String(repeating: "5e", count: 31) + "5"  // 63 digits
        let result = try await ChildProcess.run(
            ["echo-server", "--port", "0"], environment: ["RUDP_PSK": almostAKey], seconds: HangGuard.processSeconds
        )
        #expect(result.status != 0)
        CLIProcessTests.expectCleanError(
            result.error, mentioning: ["environment variable RUDP_PSK", "not a valid key", "found 63 characters", "RUDP_PSK=$(cat"])
        #expect(!Self.leaksKey(almostAKey, in: result.output + result.error))
        #expect(!result.output.contains("listening on"))
    }

    @Test func securityModeWithoutAKeyIsRefused() async throws {
        let result = try await ChildProcess.run(
            ["echo-client", "--port", "9", "--security", "encrypted", "Alice"], seconds: HangGuard.processSeconds)
        #expect(result.status != 0)
        CLIProcessTests.expectCleanError(
            result.error, mentioning: ["--security encrypted needs a pre-shared key", "--psk-file", "RUDP_PSK", "rudp keygen"])

        let badMode = try await ChildProcess.run(
            ["echo-client", "--port", "9", "--security", "none", "Alice"], seconds: HangGuard.processSeconds)
        #expect(badMode.status != 0)
        CLIProcessTests.expectCleanError(badMode.error, mentioning: ["authenticated", "encrypted"])
    }

    @Test func encryptedFileTransferArrivesIntact() async throws {
        let directory = try CLIProcessTests.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = try await Self.makeKey(in: directory)
        let input = directory.appendingPathComponent("input.bin"), output = directory.appendingPathComponent("output.bin")
        let content = CLIProcessTests.randomBytes(count: 2 * 1024 * 1024 + 777, seed: 5_150)
        try Data(content).write(to: input)

        let (sender, receiverStatus, receiverTranscript) = try await ChildProcess.withRudp([
            "recv", "--port", "0", "--output", output.path, "--timeout", "120", "--psk-file", key,
        ]) { receiver in
            let port = try await receiver.listeningPort()
            let sender = try await ChildProcess.run(
                ["send", input.path, "--to", "127.0.0.1:\(port)", "--timeout", "120", "--psk-file", key], seconds: HangGuard.transferSeconds
            )
            let status = try await receiver.waitForExit(within: HangGuard.transferSeconds)
            return (sender, status, receiver.transcript)
        }
        #expect(sender.status == 0, "\(sender.output)\(sender.error)")
        #expect(receiverStatus == 0, "\(receiverTranscript)")
        #expect(receiverTranscript.contains("connections are encrypted"), "\(receiverTranscript)")
        let expectedDigest = SHA256Tests.hexDigest(content)
        #expect(sender.output.contains("sha256 \(expectedDigest)"), "\(sender.output)")
        #expect(receiverTranscript.contains("sha256 \(expectedDigest) verified"), "\(receiverTranscript)")
        let received = try Data(contentsOf: output)
        #expect(SHA256Tests.hexDigest(Array(received)) == expectedDigest)
        #expect(received == Data(content), "the received file differs from the sent one")
    }

    @Test func demoAndBenchReportTheSecurityMode() async throws {
        let directory = try CLIProcessTests.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = try await Self.makeKey(in: directory)
        let demo = try await ChildProcess.run(["demo", "--messages", "5", "--psk-file", key], seconds: HangGuard.transferSeconds)
        #expect(demo.status == 0, "\(demo.output)\(demo.error)")
        #expect(demo.output.contains("Security: encrypted"), "\(demo.output)")
        #expect(demo.output.contains("OK: all 5 messages"), "\(demo.output)")
        // "packets verified: server N, client M": both sides opened and verified real traffic.
        let verified = demo.output.split(separator: "\n").first { $0.contains("packets verified:") }.map(String.init) ?? ""
        let counts =
            verified.components(separatedBy: "packets verified: ").last?.split(separator: ";").first?
            .split(separator: ",").compactMap { Int($0.split(separator: " ").last ?? "") } ?? []
        #expect(counts.count == 2 && counts.allSatisfy { $0 >= 5 }, "\(demo.output)")
        #expect(verified.contains("forged or corrupted dropped: server 0, client 0"), "\(demo.output)")

        let bench = try await ChildProcess.run(
            ["bench", "--messages", "500", "--warmup", "100", "--psk-file", key, "--security", "authenticated", "--json"],
            seconds: HangGuard.transferSeconds
        )
        #expect(bench.status == 0, "\(bench.error)")
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(bench.output.utf8)) as? [String: Any], "not JSON: \(bench.output)")
        #expect(object["security"] as? String == "authenticated")
    }

    @Test func benchComparesPlainAndEncryptedRuns() async throws {
        let result = try await ChildProcess.run(
            ["bench", "--compare-security", "--runs", "2", "--messages", "500", "--warmup", "100", "--json"],
            seconds: HangGuard.transferSeconds
        )
        #expect(result.status == 0, "\(result.error)")
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any], "not JSON: \(result.output)")
        #expect(object["protectedMode"] as? String == "encrypted")
        #expect(object["runs"] as? Int == 2)
        let plain = try #require(object["plain"] as? [[String: Any]]), protected = try #require(object["protected"] as? [[String: Any]])
        #expect(plain.count == 2 && protected.count == 2)
        #expect(plain.allSatisfy { $0["security"] as? String == "none" })
        #expect(protected.allSatisfy { $0["security"] as? String == "encrypted" })
        let ratio = try #require(object["throughputRatio"] as? Double)
        let plainMedian = try #require((object["plainMedians"] as? [String: Any])?["throughputMBps"] as? Double)
        let protectedMedian = try #require((object["protectedMedians"] as? [String: Any])?["throughputMBps"] as? Double)
        #expect(abs(ratio - protectedMedian / plainMedian) < 1e-9)
    }
}
