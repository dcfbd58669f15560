import RUDPCore
import RUDPSecurity
import Testing

@testable import rudp

/// The command-line helpers in-process: HOST:PORT parsing and the file-transfer messages.
@Suite struct HelperTests {
    @Test func hostPortParsesNamesIPv4AndBracketedIPv6() throws {
        #expect(try HostPort.parse("127.0.0.1:9000") == HostPort(host: "127.0.0.1", port: 9000))
        #expect(try HostPort.parse("localhost:1") == HostPort(host: "localhost", port: 1))
        #expect(try HostPort.parse("[::1]:65535") == HostPort(host: "::1", port: 65535))
        #expect(HostPort(host: "::1", port: 9).description == "[::1]:9")
    }

    @Test(arguments: [
        "", "host", "host:", ":80", "host:0", "host:65536", "host:-1", "host:+80", "::1:80", "[::1]80", "[::1", "ho st:80", "host:8O",
    ])
    func hostPortRefusesMalformedText(text: String) {
        #expect(throws: HostPort.ParseError.self) { try HostPort.parse(text) }
    }

    @Test func listeningPortAcceptsZero() throws {
        #expect(try HostPort.parseListeningPort("0") == 0)
        #expect(throws: HostPort.ParseError.self) { try HostPort.parsePort("0") }
    }

    @Test func fileTransferMessagesRoundTrip() throws {
        let header = FileTransferMessage.header(.init(name: "photo.jpg", size: 1 << 33, sha256: SHA256.hash([1, 2, 3])))
        #expect(try FileTransferMessage.decode(header.encoded()) == header)
        let chunk = FileTransferMessage.chunk([9, 8, 7][...])
        #expect(try FileTransferMessage.decode(chunk.encoded()) == chunk)
        let verdict = FileTransferMessage.verdict(.init(isIntact: false, reason: "SHA-256 mismatch"))
        #expect(try FileTransferMessage.decode(verdict.encoded()) == verdict)
    }

    @Test func malformedFileTransferMessagesAreErrorsNotCrashes() {
        let header = FileTransferMessage.header(.init(name: "a", size: 1, sha256: SHA256.hash([]))).encoded()
        for length in 0..<header.count {
            #expect(throws: CLIError.self) { try FileTransferMessage.decode(Array(header.prefix(length))) }
        }
        #expect(throws: CLIError.self) { try FileTransferMessage.decode([99]) }
        #expect(throws: CLIError.self) { try FileTransferMessage.decode([3, 7]) }
        #expect(throws: CLIError.self) { try FileTransferMessage.decode(header + [0]) }
    }

    @Test func peerTextLosesControlCharacters() throws {
        let header = FileTransferMessage.header(.init(name: "evil\u{1B}[2Jname\n", size: 0, sha256: SHA256.hash([])))
        guard case .header(let decoded) = try FileTransferMessage.decode(header.encoded()) else {
            Issue.record("not a header")
            return
        }
        #expect(decoded.name == "evil?[2Jname?")
    }

    @Test func formatRoundsFixedDigits() {
        #expect(Format.fixed(3.14159, digits: 2) == "3.14")
        #expect(Format.fixed(0.0005, digits: 3) == "0.001")
        #expect(Format.fixed(-2.5, digits: 1) == "-2.5")
        #expect(Format.fixed(12, digits: 0) == "12")
        #expect(Format.fixed(1.05, digits: 3) == "1.050")
    }

    @Test func benchComparisonTakesMediansAndRatios() {
        #expect(BenchComparison.median([3, 1, 2]) == 2)
        #expect(BenchComparison.median([4, 1, 3, 2]) == 2.5)
        #expect(BenchComparison.median([]).isNaN)
        #expect(BenchComparison(protectedMode: "encrypted", plain: [], protected: []).text().contains("no runs"))
    }

    @Test func benchStampRoundTrips() {
        var message = ByteBuffer(repeating: 0, count: 16)
        BenchCommand.writeStamp(into: &message, sentAt: 0x0102_0304_0506_0708, sequence: 42)
        let stamp = BenchCommand.readStamp(message)
        #expect(stamp.sentAt == 0x0102_0304_0506_0708)
        #expect(stamp.sequence == 42)
    }

    /// The stamp's layout (little-endian send time, then sequence number) is what a message on
    /// the wire carries; writing it touches only the first 16 bytes and not another holder's copy.
    @Test func benchStampIsLittleEndianInTheFirstSixteenBytes() {
        var message = ByteBuffer(repeating: 0xA5, count: 20)
        let shared = message
        BenchCommand.writeStamp(into: &message, sentAt: 0x0102_0304_0506_0708, sequence: 0x1112_1314_1516_1718)
        #expect(
            Array(message.readableBytesView) == [
                0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
                0x18, 0x17, 0x16, 0x15, 0x14, 0x13, 0x12, 0x11,
                0xA5, 0xA5, 0xA5, 0xA5,
            ])
        #expect(Array(shared.readableBytesView) == [UInt8](repeating: 0xA5, count: 20))
        let stamp = BenchCommand.readStamp(message)
        #expect(stamp.sentAt == 0x0102_0304_0506_0708)
        #expect(stamp.sequence == 0x1112_1314_1516_1718)
    }
}

/// The help texts as a user sees them in an 80-column terminal.
@Suite struct HelpTextTests {
    /// ArgumentParser wraps discussion text at 80 columns; an example command line longer than
    /// that would be broken in the middle (a user copying it gets two half commands).
    @Test func everyExampleLineFitsAnEightyColumnTerminal() {
        for command in RUDPCommand.subcommandList {
            let discussion = command.configuration.discussion
            #expect(discussion.contains("Examples:"), "\(command.configuration.commandName ?? "?") --help has no examples")
            // Indented lines (examples, lists) are not re-wrapped by the reader's eye: keep them whole.
            for line in discussion.split(separator: "\n") where line.hasPrefix("  ") && line.count > 78 {
                Issue.record("\(command.configuration.commandName ?? "?"): \(line.count) columns: \(line)")
            }
        }
    }

    @Test func versionIsSet() {
        #expect(RUDPCommand.configuration.version == RUDPCommand.version)
        #expect(!RUDPCommand.version.isEmpty)
    }
}
