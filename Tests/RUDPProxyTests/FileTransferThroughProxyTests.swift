import Foundation
import RUDPProxy
import Testing

/// `rudp send` to `rudp recv` through `rudp proxy`, three real processes: the file arrives
/// intact through loss, reordering, duplication and corruption, and a partition longer than
/// the ends' timeout makes both of them report it.
@Suite(.serialized, .timeLimit(.minutes(15))) struct FileTransferThroughProxyTests {
    struct Ends {
        var directory: URL
        var input: URL
        var output: URL
        var receiver: RunningProcess
        var receiverPort: Int
    }

    /// A temporary directory with a random file of `size` bytes, and `rudp recv` listening.
    static func startReceiver(size: Int, timeout: Double, seed: UInt64) throws -> Ends {
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
        let output = directory.appendingPathComponent("output.bin")
        let receiver = try RunningProcess(
            try ProxyProcessTests.executable(),
            [
                "recv", "--port", "0", "--output", output.path, "--no-progress", "--timeout", "\(timeout)",
            ])
        let line = try #require(receiver.nextLine(), "recv printed nothing; stderr: \(receiver.standardError)")
        let portText = try #require(line.split(separator: " ").first { $0.contains(":") }?.split(separator: ":").last)
        let port = try #require(Int(portText.trimmingCharacters(in: CharacterSet(charactersIn: ","))), "\(line)")
        return Ends(directory: directory, input: input, output: output, receiver: receiver, receiverPort: port)
    }

    /// `rudp proxy` in front of `upstreamPort`, with `options`; returns it, its port and its control port.
    static func startProxy(upstreamPort: Int, _ options: [String]) throws -> (RunningProcess, port: Int, control: Int) {
        let proxy = try RunningProcess(
            try ProxyProcessTests.executable(),
            [
                "proxy", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:\(upstreamPort)", "--json",
                "--control-port", "0",
            ] + options)
        let first = try #require(proxy.nextLine(), "proxy printed nothing; stderr: \(proxy.standardError)")
        let listening = try JSONDecoder().decode(ProxyProcessTests.Listening.self, from: Data(first.utf8))
        return (
            proxy, try #require(ProxyProcessTests.port(of: listening.listen)),
            try #require(listening.control.flatMap(ProxyProcessTests.port(of:)))
        )
    }

    static func finalStatistics(of proxy: RunningProcess) throws -> ProxyStatistics {
        proxy.terminate()
        #expect(proxy.waitForExit() == 0, "proxy stderr: \(proxy.standardError)")
        let snapshots = proxy.lines.compactMap {
            try? JSONDecoder().decode(ProxyProcessTests.Snapshot.self, from: Data($0.utf8))
        }
        return try #require(snapshots.last { $0.event == "final" }, "proxy output: \(proxy.lines)").statistics
    }

    @Test(arguments: [(0.1, 400_000), (0.3, 150_000)])
    func theFileArrivesIntactThroughAnImpairedPath(loss: Double, size: Int) throws {
        let seed: UInt64 = 1234
        let ends = try Self.startReceiver(size: size, timeout: 120, seed: seed)
        defer { try? FileManager.default.removeItem(at: ends.directory) }
        let (proxy, proxyPort, _) = try Self.startProxy(
            upstreamPort: ends.receiverPort,
            [
                "--loss", "\(loss)", "--reorder", "0.05", "--duplicate", "0.03", "--corrupt", "0.02",
                "--delay", "1ms", "--jitter", "1ms", "--seed", "\(seed)",
            ])
        let started = ContinuousClock.now
        let sender = try RunningProcess(
            try ProxyProcessTests.executable(),
            [
                "send", ends.input.path, "--to", "127.0.0.1:\(proxyPort)", "--no-progress", "--timeout", "120",
            ])
        let sendStatus = sender.waitForExit(timeout: HangGuard.transferSeconds)
        let elapsed = (ContinuousClock.now - started) / .seconds(1)
        // The receiver exits once its close completes, which on a lossy path can take a few
        // retransmissions after the sender is done.
        let receiveStatus = ends.receiver.waitForExit(timeout: HangGuard.processSeconds)
        let receiverLinger = ((ContinuousClock.now - started) / .seconds(1)) - elapsed
        let statistics = try Self.finalStatistics(of: proxy)
        print(
            String(
                format: "loss %.0f%%, %d bytes sent in %.2f s, receiver exited %.2f s later (seed \(seed))\n",
                loss * 100, size, elapsed, receiverLinger) + "\(statistics)")

        #expect(sendStatus == 0, "loss \(loss), seed \(seed): send stderr: \(sender.standardError)")
        #expect(receiveStatus == 0, "loss \(loss), seed \(seed): recv stderr: \(ends.receiver.standardError)")
        #expect(try Data(contentsOf: ends.output) == Data(contentsOf: ends.input), "seed \(seed)")
        // The path really was impaired, both ways. The data direction carries hundreds of
        // datagrams, so every impairment shows; the acknowledgement direction carries only a few
        // hundred (one per flight), where 2% corruption alone can miss (0.98^200 ≈ 2%), so there
        // loss and at least two of the other three must show.
        let up = statistics[.up], down = statistics[.down]
        #expect(up.dropped.loss > 0 && up.reordered > 0 && up.duplicated > 0 && up.corrupted > 0, "up: \(up)")
        let downImpairments = [down.reordered > 0, down.duplicated > 0, down.corrupted > 0].filter { $0 }.count
        #expect(down.dropped.loss > 0 && downImpairments >= 2, "down: \(down)")
    }

    @Test func aPartitionLongerThanTheTimeoutMakesBothEndsReportIt() throws {
        let timeout = 2.0
        let ends = try Self.startReceiver(size: 1_000_000, timeout: timeout, seed: 7)
        defer { try? FileManager.default.removeItem(at: ends.directory) }
        let (proxy, proxyPort, controlPort) = try Self.startProxy(upstreamPort: ends.receiverPort, [])
        let sender = try RunningProcess(
            try ProxyProcessTests.executable(),
            [
                "send", ends.input.path, "--to", "127.0.0.1:\(proxyPort)", "--no-progress",
                "--timeout", "\(timeout)", "--max-rate", "0.5",
            ])
        // Once the transfer is under way, cut the path for much longer than the timeout.
        let receiving = ends.receiver.nextLine(timeout: HangGuard.processSeconds)
        #expect(receiving?.hasPrefix("receiving") == true, "recv: \(ends.receiver.lines) \(ends.receiver.standardError)")
        Thread.sleep(forTimeInterval: 0.5)
        let control = try LineConnection(port: controlPort)
        #expect(control.ask("partition 30") == "ok")

        let sendStatus = sender.waitForExit(timeout: HangGuard.processSeconds)
        let receiveStatus = ends.receiver.waitForExit(timeout: HangGuard.processSeconds)
        let statistics = try Self.finalStatistics(of: proxy)
        print("send: \(sender.standardError)\nrecv: \(ends.receiver.standardError)\n\(statistics)")

        #expect(sendStatus == 1)
        #expect(receiveStatus == 1)
        #expect(sender.standardError.contains("timed out"), "\(sender.standardError)")
        #expect(ends.receiver.standardError.contains("timed out"), "\(ends.receiver.standardError)")
        #expect(!FileManager.default.fileExists(atPath: ends.output.path))
        #expect(statistics.up.dropped.partition > 0)
    }
}
