import Foundation
import RUDP
import RUDPSecurity
import Synchronization
import Testing

@testable import rudp

/// Rules of `Specs/APPLICATIONS.md` that `Specs/CHANGES.md` entry 31 listed as not covered: text
/// fields with invalid UTF-8 (section 1), the header's name never used as a path (2.2), and the
/// echo service's replies (3). The file transfer and echo rules are checked against the real
/// `rudp recv` and `rudp echo-server` processes, talked to by an in-process RUDP client that
/// sends exactly the bytes the test chooses.
@Suite struct ApplicationRuleTests {
    /// Generous transport timeouts: a loaded machine must not look like a lost peer.
    static var clientConfiguration: RUDPConfiguration {
        var configuration = RUDPConfiguration()
        configuration.connection.connectTimeout = .seconds(60)
        configuration.connection.peerTimeout = .seconds(60)
        configuration.connection.idleTimeout = .seconds(120)
        return configuration
    }

    /// A header (APPLICATIONS.md 2.2) with the name given as raw bytes, which may be invalid UTF-8.
    static func header(nameBytes: [UInt8], content: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = [0x01, 0x01]
        let size = UInt64(content.count)
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: size >> UInt64(shift))) }
        bytes += SHA256.hash(content)
        bytes += [UInt8(nameBytes.count >> 8), UInt8(nameBytes.count & 0xFF)]
        return bytes + nameBytes
    }

    /// Invalid UTF-8: a lone continuation byte `ff`, a lead byte `c3` followed by an ASCII byte,
    /// and a 3-byte sequence `e2 82` cut short at the end.
    static let invalidUTF8: [UInt8] = Array("a".utf8) + [0xFF] + Array("b".utf8) + [0xC3] + Array("(".utf8) + [0xE2, 0x82]
    /// What a receiver shows for it: each invalid sequence replaced with U+FFFD.
    static let invalidUTF8Shown = "a\u{FFFD}b\u{FFFD}(\u{FFFD}"

    /// APPLICATIONS.md 1: a receiver does not fail on invalid UTF-8 in a text field (the header's
    /// name, the verdict's reason) and replaces each invalid sequence with U+FFFD.
    @Test func invalidUTF8InATextFieldBecomesTheReplacementCharacter() throws {
        guard case .header(let header) = try FileTransferMessage.decode(Self.header(nameBytes: Self.invalidUTF8, content: [1, 2])) else {
            Issue.record("not a header")
            return
        }
        #expect(header.name == Self.invalidUTF8Shown)
        #expect(header.size == 2)
        for status: UInt8 in [0, 1] {
            guard case .verdict(let verdict) = try FileTransferMessage.decode([0x03, status] + Self.invalidUTF8) else {
                Issue.record("not a verdict")
                return
            }
            #expect(verdict.reason == Self.invalidUTF8Shown)
            #expect(verdict.isIntact == (status == 0))
        }
    }

    /// APPLICATIONS.md 2.2: "a receiver MUST NOT use [the name] as a path (`rudp recv` writes to
    /// its `--output`)". A sender names its file with a relative path that leaves both the
    /// receiver's working directory and the output's directory, or with an absolute path, plus
    /// invalid UTF-8: the file is saved at `--output` and nowhere else, and `rudp recv` shows the
    /// name with U+FFFD.
    @Test(arguments: [false, true])
    func recvSavesToItsOutputNeverToTheHeadersName(absolute: Bool) async throws {
        let directory = try CLIProcessTests.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let workingDirectory = directory.appendingPathComponent("cwd"), outputDirectory = directory.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: workingDirectory, withIntermediateDirectories: false)
        try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: false)
        let output = outputDirectory.appendingPathComponent("saved.bin")
        let namePrefix = absolute ? directory.path + "/by-name" : "../by-name"
        let nameBytes = Array(namePrefix.utf8) + [0xFF] + Array(".bin".utf8)
        let content = Array("five!".utf8)

        // The receiver's --timeout is a hang guard: the in-process client's tasks can wait for
        // minutes behind CPU-heavy suites running in parallel.
        let (status, transcript, receiverOutput) = try await ChildProcess.withRudp(
            ["recv", "--port", "0", "--output", output.path, "--timeout", "\(Int(HangGuard.transferSeconds))", "--no-progress"],
            directory: workingDirectory
        ) { receiver -> (Int32?, String, String) in
            guard try await Self.sendFile(named: nameBytes, content: content, to: receiver) else { return (nil, "", "") }
            return (try await receiver.waitForExit(within: HangGuard.transferSeconds), receiver.transcript, receiver.standardOutput)
        }
        guard let status else { return }
        #expect(status == 0, "\(transcript)")
        #expect((try? Data(contentsOf: output)) == Data(content), "the file is not at --output")
        #expect(receiverOutput.contains("receiving \(namePrefix)\u{FFFD}.bin (5 bytes)"), "\(transcript)")
        let files = FileManager.default
        #expect(try files.contentsOfDirectory(atPath: directory.path).sorted() == ["cwd", "out"])
        #expect(try files.contentsOfDirectory(atPath: outputDirectory.path) == ["saved.bin"])
        #expect(try files.contentsOfDirectory(atPath: workingDirectory.path).isEmpty)
    }

    /// Sends a file named `nameBytes` with `content` to `receiver` from an in-process client and
    /// checks the verdict; records an issue (with the receiver's transcript) and returns false
    /// if sending fails.
    static func sendFile(named nameBytes: [UInt8], content: [UInt8], to receiver: ChildProcess) async throws -> Bool {
        let port = try await receiver.listeningPort()
        do {
            let connection = try await RUDPClient.connect(host: "127.0.0.1", port: port, configuration: Self.clientConfiguration)
            try await connection.send(Self.header(nameBytes: nameBytes, content: content))
            try await connection.send(FileTransferMessage.chunk(content[...]).encoded())
            var messages = connection.messages.makeAsyncIterator()
            let first = try #require(try await messages.next(), "no verdict")
            guard case .verdict(let verdict) = try FileTransferMessage.decode(first.bytes) else {
                Issue.record("the receiver's first message is not a verdict")
                return false
            }
            #expect(verdict.isIntact, "\(verdict.reason)")
            try? await connection.close()
            return true
        } catch {
            Issue.record("sending the file failed: \(error)\n\(receiver.transcript)")
            return false
        }
    }

    /// Runs `test` with `rudp echo-server` on a free port and the port.
    static func withEchoServer(_ test: @escaping @Sendable (ChildProcess, Int) async throws -> Void) async throws {
        try await ChildProcess.withRudp(["echo-server", "--port", "0"]) { server in
            try await test(server, try await server.listeningPort())
        }
    }

    /// Stops the echo server with SIGINT; returns its exit status.
    static func stop(_ server: ChildProcess) async throws -> Int32 {
        server.send(signal: SIGINT)
        return try await server.waitForExit()
    }

    /// The requests answered so far, shared with the task that sends unreliable ones again.
    final class Answered: Sendable {
        private let requests = Mutex(Set<String>())
        func contains(_ request: String) -> Bool { requests.withLock { $0.contains(request) } }
        /// Adds `request`; returns how many are answered.
        func insert(_ request: String) -> Int {
            requests.withLock {
                $0.insert(request); return $0.count
            }
        }
        var count: Int { requests.withLock { $0.count } }
    }

    /// The text of the echo request on `channel` in `mode`.
    static func text(_ channel: UInt8, _ mode: DeliveryMode) -> String { "request on \(channel) \(mode)" }

    /// APPLICATIONS.md 3: each reply goes back on the channel of its request, with its delivery
    /// mode, for every mode and several channels. An unreliable request or reply may be lost, so
    /// unanswered unreliable requests are sent again until answered.
    @Test func echoRepliesOnTheRequestsChannelWithItsMode() async throws {
        try await Self.withEchoServer(Self.echoRepliesOnTheRequestsChannelWithItsModeScenario)
    }

    static func echoRepliesOnTheRequestsChannelWithItsModeScenario(_ server: ChildProcess, port: Int) async throws {
        let connection = try await RUDPClient.connect(host: "127.0.0.1", port: port, configuration: Self.clientConfiguration)
        let requests: [(channel: UInt8, mode: DeliveryMode)] = [
            (0, .reliableOrdered), (1, .reliableUnordered), (2, .unreliable),
            (5, .reliableOrdered), (6, .unreliable), (7, .reliableUnordered),
        ]
        let answered = Answered()
        for (channel, mode) in requests { try await connection.send(Array(Self.text(channel, mode).utf8), channel: channel, mode: mode) }
        let resending = Task {
            while !Task.isCancelled {
                try await Task.sleep(for: .milliseconds(500))
                for (channel, mode) in requests where mode == .unreliable && !answered.contains(Self.text(channel, mode)) {
                    try await connection.send(Array(Self.text(channel, mode).utf8), channel: channel, mode: mode)
                }
            }
        }
        defer { resending.cancel() }
        for try await reply in connection.messages {
            let bytes = reply.bytes
            guard bytes.count >= 8, Array(bytes.prefix(7)) == Array("Hello, ".utf8), bytes.last == UInt8(ascii: "!") else {
                Issue.record("not an echo reply: \(bytes)")
                break
            }
            let request = String(decoding: bytes.dropFirst(7).dropLast(), as: UTF8.self)
            guard let (channel, mode) = requests.first(where: { Self.text($0.channel, $0.mode) == request }) else {
                Issue.record("a reply to no request: \(request)")
                break
            }
            #expect(
                reply.channel == channel && reply.mode == mode,
                "the reply to '\(request)' came on channel \(reply.channel), \(reply.mode)")
            if answered.insert(request) == requests.count { break }
        }
        resending.cancel()
        #expect(answered.count == requests.count)
        try? await connection.close()
        #expect(try await Self.stop(server) == 0, "\(server.transcript)")
    }

    /// APPLICATIONS.md 3: a reply that would exceed the connection's maximum message size (here
    /// the client's 1,000 bytes) is not sent, and the server keeps serving: a request whose reply
    /// is exactly 1,000 bytes is answered, one whose reply would be 1,001 is not, and the next
    /// request on the same reliable-ordered channel is answered after the first.
    @Test func noEchoReplyBeyondTheMaximumMessageSize() async throws {
        try await Self.withEchoServer(Self.noEchoReplyBeyondTheMaximumMessageSizeScenario)
    }

    static func noEchoReplyBeyondTheMaximumMessageSizeScenario(_ server: ChildProcess, port: Int) async throws {
        var configuration = Self.clientConfiguration
        configuration.connection.maxMessageSize = 1_000
        let connection = try await RUDPClient.connect(host: "127.0.0.1", port: port, configuration: configuration)
        let fits = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000 - 8)
        let tooLarge = [UInt8](repeating: UInt8(ascii: "b"), count: 1_000 - 7)
        for request in [fits, tooLarge, Array("after".utf8)] { try await connection.send(request) }
        var replies: [[UInt8]] = []
        for try await reply in connection.messages {
            replies.append(reply.bytes)
            if replies.count == 2 { break }
        }
        #expect(replies.first == EchoServerCommand.reply(to: fits))
        #expect(replies.first?.count == 1_000)
        #expect(replies.last == Array("Hello, after!".utf8), "the oversized request got a reply: \(replies.last?.count ?? 0) bytes")
        // The connection still works.
        try await connection.send(Array("again".utf8))
        var messages = connection.messages.makeAsyncIterator()
        #expect(try await messages.next()?.bytes == Array("Hello, again!".utf8))
        try? await connection.close()
        #expect(try await Self.stop(server) == 0, "\(server.transcript)")
        #expect(server.standardError.components(separatedBy: "reply not sent").count == 2, "logged once: \(server.transcript)")
    }
}
