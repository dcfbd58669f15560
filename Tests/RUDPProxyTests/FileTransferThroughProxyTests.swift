import Foundation
import RUDPProxy
import Testing

/// `rudp send` to `rudp recv` through `rudp proxy`, three real processes: the file arrives
/// intact through loss, reordering, duplication and corruption, and a partition longer than
/// the ends' timeout makes both of them report it.
@Suite(.serialized, .timeLimit(.minutes(15))) struct FileTransferThroughProxyTests {
    struct Files {
        var directory: URL
        var input: URL
        var output: URL
    }

    /// A temporary directory with a random file of `size` bytes.
    static func makeFiles(size: Int, seed: UInt64) throws -> Files {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("rudp-proxy-transfer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var state = seed | 1
        let bytes = (0..<size).map { _ -> UInt8 in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return UInt8(truncatingIfNeeded: state)
        }
        let input = directory.appendingPathComponent("input.bin")
        try Data(bytes).write(to: input)
        return Files(directory: directory, input: input, output: directory.appendingPathComponent("output.bin"))
    }

    /// Runs `body` with `rudp recv` saving to `files.output` and its port.
    static func withReceiver<Value: Sendable>(
        _ files: Files, timeout: Double, _ body: @escaping @Sendable (ChildProcess, Int) async throws -> Value
    ) async throws -> Value {
        try await ChildProcess.withRudp([
            "recv", "--port", "0", "--output", files.output.path, "--no-progress", "--timeout", "\(timeout)",
        ]) { receiver in
            let line = try await receiver.nextLine()
            let portText = try #require(line.split(separator: " ").first { $0.contains(":") }?.split(separator: ":").last)
            let port = try #require(Int(portText.trimmingCharacters(in: CharacterSet(charactersIn: ","))), "\(line)")
            return try await body(receiver, port)
        }
    }

    /// Runs `body` with `rudp proxy` in front of `upstreamPort` (with `options`), its port and its
    /// control port.
    static func withProxy<Value: Sendable>(
        upstreamPort: Int, _ options: [String], _ body: @escaping @Sendable (ChildProcess, Int, Int) async throws -> Value
    ) async throws -> Value {
        try await ChildProcess.withRudp(
            [
                "proxy", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:\(upstreamPort)", "--json",
                "--control-port", "0",
            ] + options
        ) { proxy in
            let first = try await proxy.nextLine()
            let listening = try JSONDecoder().decode(ProxyProcessTests.Listening.self, from: Data(first.utf8))
            return try await body(
                proxy, try #require(ProxyProcessTests.port(of: listening.listen)),
                try #require(listening.control.flatMap(ProxyProcessTests.port(of:))))
        }
    }

    static func finalStatistics(of proxy: ChildProcess) async throws -> ProxyStatistics {
        proxy.send(signal: SIGTERM)
        #expect(try await proxy.waitForExit() == 0, "proxy stderr: \(proxy.standardError)")
        let snapshots = proxy.lines.compactMap {
            try? JSONDecoder().decode(ProxyProcessTests.Snapshot.self, from: Data($0.utf8))
        }
        return try #require(snapshots.last { $0.event == "final" }, "proxy output: \(proxy.lines)").statistics
    }

    /// What a transfer left: both exit statuses and standard errors, and the proxy's counters.
    struct Transfer: Sendable {
        var sendStatus: Int32
        var sendError: String
        var receiveStatus: Int32
        var receiveError: String
        var statistics: ProxyStatistics
    }

    @Test(arguments: [(0.1, 400_000), (0.3, 150_000)])
    func theFileArrivesIntactThroughAnImpairedPath(loss: Double, size: Int) async throws {
        let seed: UInt64 = 1234
        let files = try Self.makeFiles(size: size, seed: seed)
        defer { try? FileManager.default.removeItem(at: files.directory) }
        let transfer = try await Self.withReceiver(files, timeout: 120) { receiver, receiverPort in
            try await Self.withProxy(
                upstreamPort: receiverPort,
                [
                    "--loss", "\(loss)", "--reorder", "0.05", "--duplicate", "0.03", "--corrupt", "0.02",
                    "--delay", "1ms", "--jitter", "1ms", "--seed", "\(seed)",
                ]
            ) { proxy, proxyPort, _ in
                let started = ContinuousClock.now
                let sender = try await ChildProcess.run(
                    ["send", files.input.path, "--to", "127.0.0.1:\(proxyPort)", "--no-progress", "--timeout", "120"],
                    seconds: HangGuard.transferSeconds)
                let elapsed = (ContinuousClock.now - started) / .seconds(1)
                // The receiver exits once its close completes, which on a lossy path can take a few
                // retransmissions after the sender is done.
                let receiveStatus = try await receiver.waitForExit()
                let receiverLinger = ((ContinuousClock.now - started) / .seconds(1)) - elapsed
                let statistics = try await Self.finalStatistics(of: proxy)
                print(
                    String(
                        format: "loss %.0f%%, %d bytes sent in %.2f s, receiver exited %.2f s later (seed \(seed))\n",
                        loss * 100, size, elapsed, receiverLinger) + "\(statistics)")
                return Transfer(
                    sendStatus: sender.status, sendError: sender.error, receiveStatus: receiveStatus,
                    receiveError: receiver.standardError, statistics: statistics)
            }
        }

        #expect(transfer.sendStatus == 0, "loss \(loss), seed \(seed): send stderr: \(transfer.sendError)")
        #expect(transfer.receiveStatus == 0, "loss \(loss), seed \(seed): recv stderr: \(transfer.receiveError)")
        #expect(try Data(contentsOf: files.output) == Data(contentsOf: files.input), "seed \(seed)")
        // The path really was impaired, both ways. The data direction carries hundreds of
        // datagrams, so every impairment shows; the acknowledgement direction carries only a few
        // hundred (one per flight), where 2% corruption alone can miss (0.98^200 ≈ 2%), so there
        // loss and at least two of the other three must show.
        let up = transfer.statistics[.up], down = transfer.statistics[.down]
        #expect(up.dropped.loss > 0 && up.reordered > 0 && up.duplicated > 0 && up.corrupted > 0, "up: \(up)")
        let downImpairments = [down.reordered > 0, down.duplicated > 0, down.corrupted > 0].filter { $0 }.count
        #expect(down.dropped.loss > 0 && downImpairments >= 2, "down: \(down)")
    }

    @Test func aPartitionLongerThanTheTimeoutMakesBothEndsReportIt() async throws {
        // 5 s: the receiver's timeout also bounds its wait for the sender, whose process (and the
        // proxy's) a loaded machine once took more than 2 s to start; and it stays below the
        // engine's 10 s peer timeout, so the sender reports its own timeout, not the peer's.
        let timeout = 5.0
        let files = try Self.makeFiles(size: 1_000_000, seed: 7)
        defer { try? FileManager.default.removeItem(at: files.directory) }
        let transfer = try await Self.withReceiver(files, timeout: timeout) { receiver, receiverPort in
            try await Self.withProxy(upstreamPort: receiverPort, []) { proxy, proxyPort, controlPort in
                try await ChildProcess.withRudp([
                    "send", files.input.path, "--to", "127.0.0.1:\(proxyPort)", "--no-progress",
                    "--timeout", "\(timeout)", "--max-rate", "0.1",  // 10 s: the partition comes mid-transfer
                ]) { sender in
                    // Once the transfer is under way, cut the path for much longer than the timeout.
                    let receiving = try await receiver.nextLine()
                    #expect(receiving.hasPrefix("receiving"), "recv: \(receiver.transcript)")
                    try await Task.sleep(for: .milliseconds(500))
                    let control = try LineConnection(port: controlPort)
                    #expect(control.ask("partition 30") == "ok")

                    let sendStatus = try await sender.waitForExit()
                    let receiveStatus = try await receiver.waitForExit()
                    let statistics = try await Self.finalStatistics(of: proxy)
                    print("send: \(sender.standardError)\nrecv: \(receiver.standardError)\n\(statistics)")
                    return Transfer(
                        sendStatus: sendStatus, sendError: sender.standardError, receiveStatus: receiveStatus,
                        receiveError: receiver.standardError, statistics: statistics)
                }
            }
        }

        #expect(transfer.sendStatus == 1)
        #expect(transfer.receiveStatus == 1)
        // The sender's own --timeout or, when the engine's check of unacknowledged data comes
        // first, the peer timeout (with the bytes acknowledged): either way it reports the cut.
        #expect(
            transfer.sendError.contains("timed out")
                || (transfer.sendError.contains("peer unreachable") && transfer.sendError.contains("acknowledged by the receiver")),
            "\(transfer.sendError)")
        #expect(transfer.receiveError.contains("timed out"), "\(transfer.receiveError)")
        #expect(!FileManager.default.fileExists(atPath: files.output.path))
        #expect(transfer.statistics.up.dropped.partition > 0)
    }
}
