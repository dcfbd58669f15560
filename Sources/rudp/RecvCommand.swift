import ArgumentParser
import Logging
import Metrics
import RUDP

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `rudp recv`: Receive one file from `rudp send` and verify its SHA-256.
///
/// Listens, accepts one sender, writes the content to a temporary file next to `--output`,
/// checks the size and SHA-256 against the header, renames the file into place and tells the
/// sender the verdict. Exits 0 only if the file is complete and intact.
///
/// ```
/// rudp recv --port 9000 --output copy.bin
/// rudp send original.bin --to 127.0.0.1:9000     # on the sending side
/// ```
struct RecvCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recv",
        abstract: "Receive one file from `rudp send` and verify its SHA-256.",
        discussion: """
            Listens on HOST:PORT (printing 'listening on HOST:PORT' once ready), accepts one sender, \
            writes the content to a temporary file next to --output, then checks the size and the \
            SHA-256 announced in the sender's header. Only a complete and intact file is renamed to \
            --output; the sender is told the verdict either way. Exits 0 only if the file is complete \
            and intact; exits 1 with a message otherwise (sender gone, silent for --timeout seconds, \
            size or SHA-256 mismatch). A progress bar is drawn on standard error when it is a terminal.

            Examples:
              rudp recv --port 9000 --output copy.bin
              rudp recv --host ::1 --port 9000 --output /tmp/backup.tar --force --timeout 60
              rudp recv --port 9000 --output secret.pdf --psk-file rudp.key    # encrypted
            """
    )

    @Option(help: ArgumentHelp("The local address to listen on (IPv4 or IPv6 literal, or a host name).", valueName: "host"))
    var host = "127.0.0.1"

    @Option(
        help: ArgumentHelp("The UDP port to listen on (0 picks a free port).", valueName: "port"),
        transform: HostPort.parseListeningPort
    )
    var port: Int

    @Option(name: [.short, .long], help: ArgumentHelp("Where to save the file.", valueName: "file"))
    var output: String

    @Flag(help: "Replace --output if it exists already.")
    var force = false

    @Option(help: ArgumentHelp("Seconds without progress (waiting for the sender, between chunks) before giving up.", valueName: "seconds"))
    var timeout: Double = 30

    @Option(help: ArgumentHelp("Refuse files larger than this many bytes.", valueName: "bytes"))
    var maxSize: UInt64 = 1 << 40

    @Flag(help: "Never draw the progress bar.")
    var noProgress = false

    @OptionGroup(title: "Security") var securityOptions: SecurityOptions
    @OptionGroup var logOptions: LogOptions
    @OptionGroup var metricsOptions: MetricsOptions

    func validate() throws {
        guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be a positive number of seconds, got \(timeout)") }
        guard !output.isEmpty else { throw ValidationError("--output must name a file") }
    }

    func run() async throws {
        let logger = logOptions.makeLogger(label: "rudp.recv")
        metricsOptions.bootstrap()
        defer { metricsOptions.printIfRequested() }
        let security = try securityOptions.resolve()
        if PosixFile.isDirectory(output) {
            throw CLIError("--output '\(output)' is a directory; give a file name")
        }
        if PosixFile.exists(output) && !force {
            throw CLIError("'\(output)' exists already; pass --force to replace it")
        }
        let partialPath = "\(output).rudp-partial-\(getpid())"
        let partial = try PosixFile(creatingForWriting: partialPath)
        TerminationSignal.install { signal in
            PosixFile.remove(partialPath)
            Console.writeError("rudp recv: \(TerminationSignal.name(signal)) received; incomplete file removed\n")
            Glibc.exit(130)
        }
        var succeeded = false
        defer {
            partial.close()
            if !succeeded { PosixFile.remove(partialPath) }
        }

        var configuration = RUDPConfiguration()
        configuration.logger = logger
        configuration.maxConnections = 1
        configuration.security = security?.configuration
        let server = try await RUDPServer.bind(host: host, port: port, configuration: configuration)
        Console.printLine("rudp recv listening on \(HostPort(host: host, port: server.port)), saving to \(output)")
        if let security {
            Console.printLine("connections are \(security); the sender needs the same key and mode")
        }

        let watchdog = InactivityWatchdog(limit: timeout, phase: "waiting for a sender to connect")
        watchdog.setExpiryAction { await server.shutdown() }
        watchdog.start()
        defer { watchdog.stop() }

        var connections = server.connections.makeAsyncIterator()
        guard let connection = await connections.next() else {
            await server.shutdown()
            let hint = SecurityOptions.refusedPeersHint(await server.statistics())
            let failure = watchdog.expiredError ?? CLIError("the server stopped before a sender connected")
            throw CLIError(failure.message + hint)
        }
        watchdog.setExpiryAction { await connection.abort() }
        watchdog.progress(phase: "waiting for the file header from \(connection.remoteAddress.displayText)")
        logger.info("sender connected", metadata: ["peer": "\(connection.remoteAddress.displayText)"])

        do {
            let outcome = try await receive(from: connection, into: partial, watchdog: watchdog)
            try partial.synchronize()
            partial.close()
            try PosixFile.rename(partialPath, to: output)
            succeeded = true
            watchdog.progress(phase: "telling the sender the file is intact")
            do {
                try await connection.sendAndWaitForAcknowledgement(
                    FileTransferMessage.verdict(.init(isIntact: true, reason: "saved \(outcome.size) bytes, SHA-256 verified")).encoded()
                )
                try await connection.close()
            } catch {
                logger.warning("the file is intact, but the sender did not receive the verdict: \(error)")
            }
            Console.printLine(
                "received \(outcome.name): \(outcome.size) bytes in \(Format.fixed(outcome.seconds, digits: 2)) s "
                    + "(\(Format.fixed(Double(outcome.size) / max(outcome.seconds, 1e-9) / 1e6, digits: 1)) MB/s), "
                    + "sha256 \(SHA256.hexString(outcome.sha256)) verified, saved to \(output)"
            )
        } catch {
            let failure = watchdog.expiredError ?? (error as? CLIError) ?? CLIError("the transfer failed: \(error)")
            watchdog.setExpiryAction {}
            watchdog.progress(phase: "telling the sender the transfer failed")
            try? await Timeout.run(seconds: 2, waitingFor: "sending the verdict") {
                try await connection.sendAndWaitForAcknowledgement(
                    FileTransferMessage.verdict(.init(isIntact: false, reason: failure.message)).encoded()
                )
            }
            await connection.abort()
            await server.shutdown()
            throw failure
        }
        await server.shutdown()
    }

    /// What arrived: the header's name, the verified size and digest, and the time it took.
    private struct Outcome {
        var name: String
        var size: UInt64
        var sha256: [UInt8]
        var seconds: Double
    }

    /// Receives the header and the content, writes it to `file`, and verifies size and SHA-256.
    private func receive(from connection: RUDPConnection, into file: PosixFile, watchdog: InactivityWatchdog) async throws -> Outcome {
        var messages = connection.messages.makeAsyncIterator()
        guard let first = try await messages.next() else {
            throw CLIError("the sender closed the connection before sending the file header")
        }
        guard case .header(let header) = try FileTransferMessage.decode(first.bytes) else {
            throw CLIError("the sender's first message is not a file header")
        }
        guard header.size <= maxSize else {
            throw CLIError("the sender announced \(header.size) bytes, more than --max-size \(maxSize)")
        }
        Console.printLine("receiving \(header.name) (\(header.size) bytes) from \(connection.remoteAddress.displayText)")
        let start = MonotonicClock.nanoseconds()
        var hasher = SHA256()
        var received: UInt64 = 0
        var progressBar = ProgressBar(title: "receiving \(header.name)", total: header.size, enabled: !noProgress)
        defer { progressBar.clear() }
        let bytesReceived = Counter(label: "rudp_cli_recv_bytes")
        while received < header.size {
            watchdog.progress(phase: "receiving the content (\(received) of \(header.size) bytes so far)")
            guard let message = try await messages.next() else {
                throw CLIError("the sender closed the connection after \(received) of \(header.size) bytes")
            }
            guard case .chunk(let content) = try FileTransferMessage.decode(message.bytes) else {
                throw CLIError("the sender sent a message other than content after \(received) of \(header.size) bytes")
            }
            guard UInt64(content.count) <= header.size - received else {
                throw CLIError("the sender sent more than the \(header.size) bytes it announced")
            }
            try content.withUnsafeBytes { raw in
                hasher.update(raw)
                try file.write(raw)
            }
            received += UInt64(content.count)
            bytesReceived.increment(by: content.count)
            progressBar.update(completed: received)
        }
        progressBar.finish()
        let digest = hasher.finalize()
        guard digest == header.sha256 else {
            throw CLIError(
                "SHA-256 mismatch: the sender announced \(SHA256.hexString(header.sha256)), the content received hashes to \(SHA256.hexString(digest))"
            )
        }
        return Outcome(name: header.name, size: received, sha256: digest, seconds: Double(MonotonicClock.nanoseconds() - start) / 1e9)
    }
}
