import Foundation
import RUDPCore
import Testing

/// The `rudp` binary run as real processes over loopback UDP. Every process is killed when its
/// test ends and every wait is bounded.
@Suite struct CLIProcessTests {
    /// A fresh temporary directory, removed by the caller.
    static func makeTemporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rudp-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// `count` pseudo-random bytes from `seed`.
    static func randomBytes(count: Int, seed: UInt64) -> [UInt8] {
        var generator = SeededGenerator(seed: seed)
        var bytes = [UInt8](repeating: 0, count: count)
        var index = 0
        while index < count {
            var word = generator.next()
            for _ in 0..<8 where index < count {
                bytes[index] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                index += 1
            }
        }
        return bytes
    }

    /// Errors are one clear line, never a crash report or a stack trace.
    static func expectCleanError(_ standardError: String, mentioning words: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(standardError.contains("Error:"), "stderr: \(standardError)", sourceLocation: sourceLocation)
        for word in words {
            #expect(standardError.contains(word), "expected '\(word)' in stderr: \(standardError)", sourceLocation: sourceLocation)
        }
        for crashMarker in ["Fatal error", "Stack dump", "Current stack trace", "Illegal instruction", "Segmentation fault"] {
            #expect(!standardError.contains(crashMarker), "crash output in stderr: \(standardError)", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: [
        ("echo-server", ["--psk-file", "--security", "RUDP_PSK", "--host", "--port", "--log-level", "Examples"]),
        ("echo-client", ["--psk-file", "--security", "RUDP_PSK", "--host", "--port", "--timeout", "<name>", "--log-level", "Examples"]),
        (
            "send",
            [
                "--psk-file", "--security", "RUDP_PSK", "<file>", "--to", "--timeout", "--max-rate", "--no-progress", "--log-level",
                "Examples",
            ]
        ),
        (
            "recv",
            [
                "--psk-file", "--security", "RUDP_PSK", "--host", "--port", "--output", "--force", "--timeout", "--max-size", "--log-level",
                "Examples",
            ]
        ),
        ("demo", ["--psk-file", "--security", "RUDP_PSK", "--messages", "--loss", "--seed", "--timeout", "--log-level", "Examples"]),
        (
            "bench",
            [
                "--psk-file", "--security", "RUDP_PSK", "--mode", "--messages", "--size", "--rate", "--window", "--loss", "--seed",
                "--warmup", "--json", "--timeout", "--compare-security", "--runs", "--baseline", "--rounds", "--log-level", "Examples",
            ]
        ),
    ])
    func helpOfEverySubcommandExplainsItsOptions(subcommand: String, mentions: [String]) async throws {
        let result = try await ChildProcess.run([subcommand, "--help"], seconds: HangGuard.processSeconds)
        #expect(result.status == 0, "\(result.error)")
        for word in mentions {
            #expect(result.output.contains(word), "'\(subcommand) --help' does not mention \(word):\n\(result.output)")
        }
    }

    @Test func topLevelHelpListsTheSubcommands() async throws {
        let result = try await ChildProcess.run(["--help"], seconds: HangGuard.processSeconds)
        #expect(result.status == 0)
        for subcommand in ["echo-server", "echo-client", "send", "recv", "demo", "bench"] {
            #expect(result.output.contains(subcommand), "\(result.output)")
        }
    }

    @Test func echoServerAndClientRoundTripInOrder() async throws {
        let (first, second, serverStatus, serverTranscript) = try await ChildProcess.withRudp(["echo-server", "--port", "0"]) { server in
            let port = try await server.listeningPort()
            let first = try await ChildProcess.run(
                ["echo-client", "--port", "\(port)", "--timeout", "120", "Alice", "Bob", "Carol Ann"], seconds: HangGuard.transferSeconds)
            // A second client on the same server works too: the server serves until a signal.
            let second = try await ChildProcess.run(
                ["echo-client", "--port", "\(port)", "--timeout", "120", "Dave"], seconds: HangGuard.transferSeconds)
            server.send(signal: SIGINT)
            let status = try await server.waitForExit()
            return (first, second, status, server.transcript)
        }
        #expect(first.status == 0, "\(first.error)")
        #expect(first.output.split(separator: "\n").map(String.init) == ["Hello, Alice!", "Hello, Bob!", "Hello, Carol Ann!"])
        #expect(second.status == 0, "\(second.error)")
        #expect(second.output == "Hello, Dave!\n")
        #expect(serverStatus == 0, "\(serverTranscript)")
        #expect(serverTranscript.contains("rudp echo-server stopped"), "\(serverTranscript)")
    }

    @Test func echoClientReportsAnUnreachableServer() async throws {
        // Nothing listens on the discard port of loopback: the connect times out (or is refused).
        let result = try await ChildProcess.run(
            ["echo-client", "--port", "9", "--timeout", "1", "Alice"], seconds: HangGuard.processSeconds)
        #expect(result.status != 0)
        #expect(result.output.isEmpty)
        Self.expectCleanError(result.error, mentioning: ["127.0.0.1:9"])
    }

    @Test func secondServerOnTheSamePortIsAClearError() async throws {
        let second = try await ChildProcess.withRudp(["echo-server", "--port", "0"]) { server in
            let port = try await server.listeningPort()
            return try await ChildProcess.run(["echo-server", "--port", "\(port)"], seconds: HangGuard.processSeconds)
        }
        #expect(second.status != 0)
        Self.expectCleanError(second.error, mentioning: ["in use"])
    }

    @Test func sendReportsAnUnreachableReceiver() async throws {
        let directory = try Self.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("small.bin")
        try Data([1, 2, 3]).write(to: input)
        let result = try await ChildProcess.run(
            ["send", input.path, "--to", "127.0.0.1:9", "--timeout", "1"], seconds: HangGuard.processSeconds)
        #expect(result.status != 0)
        Self.expectCleanError(result.error, mentioning: ["cannot connect to the receiver at 127.0.0.1:9"])
    }

    @Test func sendAndRecvTransferAFileIntact() async throws {
        let directory = try Self.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("input.bin"), output = directory.appendingPathComponent("output.bin")
        let content = Self.randomBytes(count: 3 * 1024 * 1024 + 12_345, seed: 20_260_101)
        try Data(content).write(to: input)

        let (sender, receiverStatus, receiverOutput, receiverTranscript) = try await ChildProcess.withRudp([
            "recv", "--port", "0", "--output", output.path, "--timeout", "120",
        ]) { receiver in
            let port = try await receiver.listeningPort()
            let sender = try await ChildProcess.run(
                ["send", input.path, "--to", "127.0.0.1:\(port)", "--timeout", "120"], seconds: HangGuard.transferSeconds)
            let status = try await receiver.waitForExit(within: HangGuard.transferSeconds)
            return (sender, status, receiver.standardOutput, receiver.transcript)
        }

        #expect(sender.status == 0, "\(sender.output)\(sender.error)")
        #expect(receiverStatus == 0, "\(receiverTranscript)")
        let received = try Data(contentsOf: output)
        #expect(received.count == content.count)
        #expect(received == Data(content), "the received file differs from the sent one")
        #expect(sender.output.contains("the receiver verified it"))
        #expect(receiverOutput.contains("verified, saved to"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains("partial") }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
    }

    @Test func recvFailsWhenTheSenderDiesMidTransfer() async throws {
        let directory = try Self.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("input.bin"), output = directory.appendingPathComponent("output.bin")
        try Data(Self.randomBytes(count: 4 * 1024 * 1024, seed: 7)).write(to: input)

        // The receiver binds port 0 and says which it got; its --timeout covers the wait for the
        // sender (which starts at once) and then the content stopping: it gives up 10 s after the
        // sender dies. (The sender used to start first, towards a port picked in advance, and
        // both could fail: another socket took the port, or a loaded machine started the receiver
        // just after a CONNECT, whose next retry came more than 3 s later.)
        let (status, receiverError, receiverTranscript) = try await ChildProcess.withRudp([
            "recv", "--port", "0", "--output", output.path, "--timeout", "10",
        ]) { receiver in
            let port = try await receiver.listeningPort()
            // 0.25 MB/s: the 4 MB transfer takes about 16 s, so the sender dies in the middle even
            // when a loaded machine runs this task seconds late (at 1 MB/s it once finished first).
            return try await ChildProcess.withRudp([
                "send", input.path, "--to", "127.0.0.1:\(port)", "--max-rate", "0.25", "--timeout", "120",
            ]) { sender in
                _ = try await receiver.line(containing: "receiving input.bin")
                try await Task.sleep(for: .milliseconds(700))
                sender.send(signal: SIGKILL)
                try await sender.waitForExit()
                let status = try await receiver.waitForExit()
                return (status, receiver.standardError, receiver.transcript)
            }
        }
        #expect(status != 0 && status != 128 + SIGKILL, "recv must fail on its own, with a message: \(receiverTranscript)")
        Self.expectCleanError(receiverError, mentioning: ["timed out"])
        #expect(!FileManager.default.fileExists(atPath: output.path), "an incomplete file was saved")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains("partial") }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
    }

    @Test(arguments: [
        ("nohost", "has no port"),
        ("127.0.0.1:99999", "out of range"),
        ("127.0.0.1:http", "not a number"),
        (":9000", "empty host"),
        ("::1:9000", "brackets"),
        ("[::1:9000", "without ']'"),
    ])
    func badHostPortIsAClearError(target: String, explanation: String) async throws {
        let result = try await ChildProcess.run(["send", "/dev/null", "--to", target], seconds: HangGuard.processSeconds)
        #expect(result.status != 0)
        Self.expectCleanError(result.error, mentioning: [explanation])
    }

    @Test func badPortAndMissingFileAreClearErrors() async throws {
        let badPort = try await ChildProcess.run(["echo-client", "--port", "70000", "Alice"], seconds: HangGuard.processSeconds)
        #expect(badPort.status != 0)
        Self.expectCleanError(badPort.error, mentioning: ["out of range"])

        let missing = try await ChildProcess.run(
            ["send", "/nonexistent/file.bin", "--to", "127.0.0.1:9000"], seconds: HangGuard.processSeconds)
        #expect(missing.status != 0)
        Self.expectCleanError(missing.error, mentioning: ["/nonexistent/file.bin", "No such file"])
    }

    @Test func recvRefusesToOverwriteWithoutForce() async throws {
        let directory = try Self.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("exists.bin")
        try Data([1, 2, 3]).write(to: output)
        let result = try await ChildProcess.run(["recv", "--port", "0", "--output", output.path], seconds: HangGuard.processSeconds)
        #expect(result.status != 0)
        Self.expectCleanError(result.error, mentioning: ["--force"])
        #expect(try Data(contentsOf: output) == Data([1, 2, 3]))
    }

    @Test func demoShowsEveryMessageArrivingOnceAndInOrder() async throws {
        let result = try await ChildProcess.run(["demo", "--metrics"], seconds: HangGuard.transferSeconds)
        #expect(result.status == 0, "\(result.output)\(result.error)")
        // --metrics: the transport's swift-metrics counters, collected in process, on stderr.
        #expect(result.error.contains("--- metrics ---") && result.error.contains("rudp_datagrams_sent"), "\(result.error)")
        #expect(result.output.contains("OK: all 20 messages reached the server exactly once and in order"), "\(result.output)")
        for index in 1...20 {
            #expect(result.output.contains("Hello, message \(index)!"))
        }
        // Both sides drop about 20% of what they receive, and the summary counts both.
        let drops = result.output.firstMatch(of: /the server dropped (\d+) and the client (\d+) received datagrams/)
        let counts = try #require(drops, "\(result.output)")
        #expect(Int(counts.1)! > 0 && Int(counts.2)! > 0, "\(result.output)")
    }

    @Test func benchPrintsJSONWithTheExpectedKeys() async throws {
        let result = try await ChildProcess.run(["bench", "--messages", "3000", "--json"], seconds: HangGuard.transferSeconds)
        #expect(result.status == 0, "\(result.error)")
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any], "not JSON: \(result.output)")
        #expect(object["mode"] as? String == "bulk")
        #expect(object["messages"] as? Int == 3000)
        #expect(object["messageSize"] as? Int == 1024)
        let throughput = try #require(object["throughputMBps"] as? Double)
        #expect(throughput > 0)
        let latency = try #require(object["latencyMs"] as? [String: Any])
        for key in ["p50", "p90", "p99", "max", "mean"] {
            #expect(latency[key] is Double, "latencyMs.\(key) missing: \(latency)")
        }
        let p50 = try #require(latency["p50"] as? Double), p99 = try #require(latency["p99"] as? Double),
            max = try #require(latency["max"] as? Double)
        #expect(p50 <= p99 && p99 <= max)
        #expect(object["sender"] is [String: Any] && object["receiver"] is [String: Any])
    }

    @Test func pacedBenchWithLossDeliversEverything() async throws {
        let result = try await ChildProcess.run(
            [
                "bench", "--mode", "paced", "--rate", "2000", "--messages", "1000", "--warmup", "200", "--loss", "0.1", "--seed", "3",
                "--json",
            ],
            seconds: HangGuard.transferSeconds
        )
        #expect(result.status == 0, "\(result.error)")
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any], "not JSON: \(result.output)")
        #expect(object["mode"] as? String == "paced")
        #expect(object["rate"] as? Double == 2000)
        // Loss was really injected, and recovered from (the command checks exactly-once, in-order delivery).
        #expect((object["receiverInjectedDrops"] as? Int ?? 0) > 0, "\(result.output)")
        let sender = try #require(object["sender"] as? [String: Any])
        #expect((sender["fragmentsRetransmitted"] as? Int ?? 0) > 0, "\(result.output)")
    }
}
