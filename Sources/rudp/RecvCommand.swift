import ArgumentParser
import Logging
import Metrics
import RUDP
import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
import RUDPSecurity
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
              rudp recv --host ::1 --port 9000 --output backup.tar --force --timeout 60
              rudp recv --port 9000 --output secret.pdf --psk-file rudp.key    # encrypted

            The saved file gets the usual permissions for a new file (0666 less the umask, as cp \
            or curl -o give it); while it is written, the temporary file is readable by its owner \
            only. A temporary file left by a recv that was killed (SIGKILL, power loss) is \
            removed by the next recv to the same --output. SIGINT (Ctrl-C) or SIGTERM aborts the \
            connection with a reason the sender prints at once; the exit status is then 130. The \
            protocol is specified in Specs/APPLICATIONS.md.

            PROMETHEUS. With --metrics-port, GET http://HOST:PORT/metrics (HOST: --metrics-host, \
            default 127.0.0.1) answers the metrics in Prometheus' text format while the transfer \
            runs. \(PrometheusOptions.metricNames)
            """
    )

    @Option(help: ArgumentHelp("The local address to listen on (IPv4 or IPv6 literal, or a host name).", valueName: "host"))
    var host = "127.0.0.1"

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("The UDP port to listen on (0 picks a free port).", valueName: "port"),
        transform: HostPort.parseListeningPort
    )
    var port: Int

    @Option(name: [.short, .long], help: ArgumentHelp("Where to save the file.", valueName: "file"))
    var output: String

    @Flag(help: "Replace --output if it exists already.")
    var force = false

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Seconds without progress (waiting for the sender, between chunks) before giving up.", valueName: "seconds"))
    var timeout: Double = 30

    @Option(parsing: .unconditional, help: ArgumentHelp("Refuse files larger than this many bytes.", valueName: "bytes"))
    var maxSize: UInt64 = 1 << 40

    @Flag(help: "Never draw the progress bar.")
    var noProgress = false

    @OptionGroup(title: "Security") var securityOptions: SecurityOptions
    @OptionGroup var logOptions: LogOptions
    @OptionGroup var metricsOptions: MetricsOptions
    @OptionGroup(title: "Prometheus") var prometheusOptions: PrometheusOptions

    func validate() throws {
        try OptionCheck.seconds(timeout, "--timeout")
        guard !output.isEmpty else { throw ValidationError("--output must name a file") }
    }

    func run() async throws {
        let logger = logOptions.makeLogger(label: "rudp.recv")
        let exporter = prometheusOptions.bootstrap()
        defer { metricsOptions.printIfRequested() }
        let security = try securityOptions.resolve()
        let existing = FileDescriptor.fileType(atPath: output)
        if existing == .directory {
            throw CLIError("--output '\(output)' is a directory; give a file name")
        }
        if existing != nil && !force {
            throw CLIError("'\(output)' exists already; pass --force to replace it")
        }
        for note in StalePartialFiles.clean(besides: output) {
            Console.writeError("rudp recv: \(note)\n")
        }
        let partialPath = StalePartialFiles.path(for: output, process: getpid())
        let partial = try FileDescriptor.createForWriting(atPath: partialPath)
        let interruption = TransferInterruption(side: "receiver", command: "recv") {
            FileDescriptor.remove(partialPath)
            return "incomplete file removed"
        }
        await interruption.install()
        var succeeded = false
        var partialOpen = true
        defer {
            if partialOpen { try? partial.close() }
            if !succeeded { FileDescriptor.remove(partialPath) }
        }

        var configuration = RUDPConfiguration.fromEnvironment()
        configuration.logger = logger
        configuration.maxConnections = 1
        configuration.security = security?.configuration
        let server = try await RUDPServer.bind(host: host, port: port, configuration: configuration)
        interruption.attach(server)
        let endpoint: PrometheusEndpoint?
        do {
            endpoint = try await exporter?.start()
        } catch {
            await server.shutdown()
            throw error
        }
        Console.printLine("rudp recv listening on \(HostPort(host: host, port: server.port)), saving to \(output)")
        if let security {
            Console.printLine("connections are \(security); the sender needs the same key and mode")
        }
        if let endpoint { Console.printLine("metrics on \(endpoint.url)") }

        let watchdog = InactivityWatchdog(limit: timeout, phase: "waiting for a sender to connect")
        watchdog.setExpiryAction { await server.shutdown() }
        watchdog.start()
        defer { watchdog.stop() }

        var connections = server.connections.makeAsyncIterator()
        guard let connection = await connections.next() else {
            await interruption.waitIfInterrupted()
            await server.shutdown()
            await endpoint?.close()
            let hint = SecurityOptions.refusedPeersHint(await server.statistics())
            let failure = watchdog.expiredError ?? CLIError("the server stopped before a sender connected")
            throw CLIError(failure.message + hint)
        }
        interruption.attach(connection)
        let limit = timeout
        watchdog.setExpiryAction { await connection.abort(reason: "the receiver gave up: no progress for \(OptionCheck.text(limit)) s") }
        watchdog.progress(phase: "waiting for the file header from \(connection.remoteAddress.displayText)")
        logger.info("sender connected", metadata: ["peer": "\(connection.remoteAddress.displayText)"])

        var progress = Progress()
        do {
            let outcome = try await receive(from: connection, into: partial, path: partialPath, watchdog: watchdog, progress: &progress)
            try partial.setPermissions(FileDescriptor.defaultPermissions, path: partialPath)
            try partial.synchronize(path: partialPath)
            partialOpen = false
            try CLIError.file("cannot close", partialPath) { try partial.close() }
            try FileDescriptor.rename(partialPath, to: output)
            succeeded = true
            watchdog.progress(phase: "telling the sender the file is intact")
            let verdict = FileTransferMessage.verdict(.init(isIntact: true, reason: "saved \(outcome.size) bytes, SHA-256 verified"))
            if let problem = await Self.deliver(verdict, on: connection) {
                logger.warning("the file is intact, but the sender did not receive the verdict: \(problem)")
            }
            Console.printLine(
                "received \(outcome.name): \(outcome.size) bytes in \(Format.fixed(outcome.seconds, digits: 2)) s "
                    + "(\(Format.fixed(Double(outcome.size) / max(outcome.seconds, 1e-9) / 1e6, digits: 1)) MB/s), "
                    + "sha256 \(SHA256.hexString(outcome.sha256)) verified, saved to \(output)"
            )
        } catch {
            await interruption.waitIfInterrupted()
            var failure = watchdog.expiredError ?? (error as? CLIError) ?? CLIError("the transfer failed: \(error)")
            if let error = error as? RUDPError, watchdog.expiredError == nil {
                failure = CLIError(
                    progress.size.map { "the connection to the sender ended after \(progress.received) of \($0) bytes: \(error)" }
                        ?? "the connection to the sender ended before the file header: \(error)")
            }
            watchdog.setExpiryAction {}
            watchdog.progress(phase: "telling the sender the transfer failed")
            if await connection.closeReason() == nil {
                // The sender is still there: tell it the verdict, then close with the reason too
                // (the sender may be blocked sending content that will never be read).
                let verdict = FileTransferMessage.verdict(.init(isIntact: false, reason: failure.message))
                _ = try? await Timeout.run(seconds: min(timeout, 10), waitingFor: "sending the verdict") {
                    try await connection.sendAndWaitForAcknowledgement(verdict.encoded())
                }
                await connection.abort(reason: "the receiver refused the file: \(failure.message)")
            }
            await server.shutdown()
            await endpoint?.close()
            throw failure
        }
        await server.shutdown()
        await endpoint?.close()
    }

    /// Sends the verdict and closes. Returns nil once the sender has it: the verdict was
    /// acknowledged, or the sender closed the connection normally, which it does only after
    /// reading the verdict (Specs/APPLICATIONS.md 2.6). Otherwise returns what went wrong.
    static func deliver(_ verdict: FileTransferMessage, on connection: RUDPConnection) async -> String? {
        do {
            try await connection.sendAndWaitForAcknowledgement(verdict.encoded())
        } catch {
            // The wait fails as soon as the sender's CLOSE arrives, possibly before the
            // connection has finished closing: close, then look at why it ended.
            try? await connection.close()
            if await connection.closeReason()?.peerCode == .normal {
                return nil
            }
            return "\(error)"
        }
        // The sender closes once it has the verdict; a failure of this side's close after that
        // (its CLOSE unacknowledged by a sender that already exited) changes nothing.
        try? await connection.close()
        return nil
    }

    /// How far the content got, for messages about a failure.
    struct Progress {
        /// The size the header announced, once it arrived.
        var size: UInt64?
        /// Content bytes received and written so far.
        var received: UInt64 = 0
    }

    /// What arrived: the header's name, the verified size and digest, and the time it took.
    private struct Outcome {
        var name: String
        var size: UInt64
        var sha256: [UInt8]
        var seconds: Double
    }

    /// Receives the header and the content, writes it to `file`, and verifies size and SHA-256.
    private func receive(
        from connection: RUDPConnection, into file: FileDescriptor, path: String, watchdog: InactivityWatchdog,
        progress: inout Progress
    ) async throws -> Outcome {
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
        progress.size = header.size
        Console.printLine("receiving \(header.name) (\(header.size) bytes) from \(connection.remoteAddress.displayText)")
        let start = ContinuousClock.now
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
            // Read in place: only a message that is not a chunk is decoded (copied), for its error.
            guard let content = FileTransferMessage.chunkContent(of: message.buffer) else {
                _ = try FileTransferMessage.decode(message.bytes)
                throw CLIError("the sender sent a message other than content after \(received) of \(header.size) bytes")
            }
            guard UInt64(content.readableBytes) <= header.size - received else {
                throw CLIError("the sender sent more than the \(header.size) bytes it announced")
            }
            try content.withUnsafeReadableBytes { raw in
                hasher.update(raw)
                _ = try CLIError.file("cannot write", path) { try file.writeAll(raw) }
            }
            received += UInt64(content.readableBytes)
            progress.received = received
            bytesReceived.increment(by: content.readableBytes)
            progressBar.update(completed: received)
        }
        progressBar.finish()
        let digest = hasher.finalize()
        guard digest == header.sha256 else {
            throw CLIError(
                "SHA-256 mismatch: the sender announced \(SHA256.hexString(header.sha256)), the content received hashes to \(SHA256.hexString(digest))"
            )
        }
        return Outcome(name: header.name, size: received, sha256: digest, seconds: (ContinuousClock.now - start) / .seconds(1))
    }
}
