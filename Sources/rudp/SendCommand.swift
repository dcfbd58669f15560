import ArgumentParser
import Logging
import Metrics
import RUDP
import RUDPSecurity
import SystemPackage

/// `rudp send`: Send a file reliably to a `rudp recv` receiver.
///
/// Hashes the file (SHA-256), connects, sends a header (name, size, SHA-256) and the content in
/// 64 KiB messages, then waits for the receiver's verdict: exits 0 only if the receiver confirmed
/// that the file arrived complete and intact.
///
/// ```
/// rudp recv --port 9000 --output copy.bin     # first, on the receiving side
/// rudp send original.bin --to 127.0.0.1:9000
/// ```
struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send a file reliably to a `rudp recv` receiver.",
        discussion: """
            Computes the file's SHA-256, connects to the receiver, sends a header (file name, size, \
            SHA-256), then the content in 64 KiB messages over one reliable, ordered connection, and \
            waits for the receiver's verdict. Exits 0 only once the receiver confirmed the size and \
            SHA-256 matched and the file was saved; exits 1 with a message otherwise (receiver \
            unreachable, refused the file, or went silent for --timeout seconds). A progress bar is \
            drawn on standard error when it is a terminal.

            Examples:
              rudp send photo.jpg --to 127.0.0.1:9000
              rudp send backup.tar --to [::1]:9000 --timeout 60
              rudp send big.iso --to receiver.local:9000 --max-rate 5    # at most 5 MB/s
              rudp send secret.pdf --to 127.0.0.1:9000 --psk-file rudp.key  # encrypted

            SIGINT (Ctrl-C) or SIGTERM aborts the connection with a reason that the receiver \
            prints at once; the exit status is then 130. Byte counts in failure messages are \
            bytes the receiver acknowledged. The protocol is specified in Specs/APPLICATIONS.md.
            """
    )

    @Argument(help: ArgumentHelp("The file to send.", valueName: "file"))
    var file: String

    @Option(
        help: ArgumentHelp("The receiver (`rudp recv`), as HOST:PORT or [IPV6]:PORT.", valueName: "host:port"),
        transform: HostPort.parse
    )
    var to: HostPort

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Seconds without progress (connecting, sending, waiting for the verdict) before giving up.", valueName: "seconds"))
    var timeout: Double = 30

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Send at most this many megabytes (10^6 bytes) per second (0.001 to 1000000); 0 for no limit.", valueName: "MB/s"))
    var maxRate: Double = 0

    @Flag(help: "Never draw the progress bar.")
    var noProgress = false

    @OptionGroup(title: "Security") var securityOptions: SecurityOptions
    @OptionGroup var logOptions: LogOptions
    @OptionGroup var metricsOptions: MetricsOptions

    func validate() throws {
        try OptionCheck.seconds(timeout, "--timeout")
        try OptionCheck.number(maxRate, "--max-rate", in: 0.001...1_000_000, orZero: true, unit: "MB/s")
    }

    func run() async throws {
        let logger = logOptions.makeLogger(label: "rudp.send")
        metricsOptions.bootstrap()
        defer { metricsOptions.printIfRequested() }

        let security = try securityOptions.resolve()
        let input = try FileDescriptor.openRegularFile(atPath: file)
        defer { try? input.close() }
        let size = try input.size(path: file)
        let digest = try Self.hash(input, path: file, size: size, showProgress: !noProgress)
        let name = file.split(separator: "/").last.map(String.init) ?? file
        logger.info("file hashed", metadata: ["file": "\(file)", "bytes": "\(size)", "sha256": "\(SHA256.hexString(digest))"])

        var configuration = RUDPConfiguration.fromEnvironment()
        configuration.logger = logger
        configuration.security = security?.configuration
        configuration.connection.connectTimeout = OptionCheck.duration(seconds: timeout)
        let interruption = TransferInterruption(side: "sender", command: "send")
        await interruption.install()
        let watchdog = InactivityWatchdog(limit: timeout + 1, phase: "connecting to the receiver at \(to)")
        watchdog.start()
        defer { watchdog.stop() }
        let connection: RUDPConnection
        do {
            connection = try await RUDPClient.connect(host: to.host, port: to.port, configuration: configuration)
        } catch {
            await interruption.waitIfInterrupted()
            throw CLIError(
                "cannot connect to the receiver at \(to): \(error)\(SecurityOptions.connectHint(for: error, security: security))")
        }
        interruption.attach(connection)
        let limit = timeout
        watchdog.setExpiryAction { await connection.abort(reason: "the sender gave up: no progress for \(OptionCheck.text(limit)) s") }
        let verdicts = VerdictReader(connection)
        defer { verdicts.cancel() }

        let start = ContinuousClock.now
        var progressBar = ProgressBar(title: "sending \(name)", total: size, enabled: !noProgress)
        var sent: UInt64 = 0
        do {
            watchdog.progress(phase: "sending the file header")
            try await connection.send(FileTransferMessage.header(.init(name: name, size: size, sha256: digest)).encoded())
            var buffer = [UInt8](repeating: 0, count: FileTransferMessage.chunkSize)
            let bytesSent = Counter(label: "rudp_cli_send_bytes")
            // A refusal can come at any time (the receiver checks the header first): stop sending then.
            while sent < size, verdicts.arrived == nil {
                let count = try input.readFully(into: &buffer, path: file)
                guard count > 0 else {
                    throw CLIError("'\(file)' shrank while it was being sent: it ended after \(sent) of \(size) bytes")
                }
                let chunk = buffer[0..<min(count, Int(size - sent))]
                watchdog.progress(phase: "sending the content (\(sent) of \(size) bytes queued)")
                try await connection.send(FileTransferMessage.encodedChunk(chunk))
                sent += UInt64(chunk.count)
                bytesSent.increment(by: chunk.count)
                progressBar.update(completed: sent)
                if maxRate > 0 {
                    try await Self.pace(sent: sent, since: start, megabytesPerSecond: maxRate)
                }
            }
            progressBar.finish()
            watchdog.progress(phase: "waiting for the receiver's verdict")
            guard let verdict = try await verdicts.verdict() else {
                throw CLIError("the receiver closed the connection without a verdict")
            }
            guard verdict.isIntact else {
                throw CLIError("the receiver refused the file: \(verdict.reason)")
            }
            guard sent == size else {
                throw CLIError("the receiver confirmed the file before all of it was sent (\(sent) of \(size) bytes)")
            }
            // The verdict is in. Stay until the receiver closes (it does once the verdict is
            // acknowledged), so that a lost acknowledgement is repaired while this side still
            // answers; then close (a CLOSE that arrives is the receiver's other proof).
            watchdog.progress(phase: "waiting for the receiver to close")
            _ = try? await Timeout.run(seconds: Self.receiverCloseWait, waitingFor: "the receiver to close") {
                try await verdicts.waitForTheEnd()
            }
            watchdog.progress(phase: "closing the connection")
            try? await connection.close()
        } catch let error as CLIError {
            await interruption.waitIfInterrupted()
            progressBar.clear()
            await connection.abort(reason: error.message)
            throw error
        } catch {
            await interruption.waitIfInterrupted()
            progressBar.clear()
            // The connection failed while sending or waiting: a refusal may have arrived first.
            await connection.abort()
            if let verdict = try? await verdicts.verdict(), !verdict.isIntact {
                throw CLIError("the receiver refused the file: \(verdict.reason)")
            }
            if let timeout = watchdog.expiredError { throw timeout }
            let acknowledged = Self.acknowledgedContentBytes(await connection.statistics(), size: size)
            throw CLIError(
                "the transfer to \(to) failed after \(acknowledged) of \(size) bytes were acknowledged by the receiver: \(error)")
        }
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        Console.printLine(
            "sent \(name): \(size) bytes in \(Format.fixed(seconds, digits: 2)) s "
                + "(\(Format.fixed(Double(size) / max(seconds, 1e-9) / 1e6, digits: 1)) MB/s), "
                + "sha256 \(SHA256.hexString(digest)); the receiver verified it"
        )
    }

    /// Seconds the sender waits, after an intact verdict, for the receiver to close.
    static let receiverCloseWait = 5.0

    /// Content bytes the receiver acknowledged: every chunk but the last is exactly
    /// ``FileTransferMessage/chunkSize`` bytes and the header is the first message, so this is
    /// the acknowledged messages after the header times the chunk size (at most the file size).
    static func acknowledgedContentBytes(_ statistics: ConnectionStatistics, size: UInt64) -> UInt64 {
        let chunks = UInt64(max(0, statistics.messagesAcknowledged - 1))
        return min(size, chunks * UInt64(FileTransferMessage.chunkSize))
    }

    /// Reads the whole file once to compute its SHA-256, then rewinds it for sending.
    private static func hash(_ file: FileDescriptor, path: String, size: UInt64, showProgress: Bool) throws -> [UInt8] {
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var progressBar = ProgressBar(title: "hashing", total: size, enabled: showProgress && size >= 64 << 20)
        var total: UInt64 = 0
        while true {
            let count = try CLIError.file("cannot read", path) { try buffer.withUnsafeMutableBytes { try file.read(into: $0) } }
            if count == 0 { break }
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            total += UInt64(count)
            progressBar.update(completed: total)
        }
        progressBar.finish()
        guard total == size else {
            throw CLIError("'\(path)' changed while it was being hashed (\(total) bytes read, \(size) expected)")
        }
        _ = try CLIError.file("cannot rewind", path) { try file.seek(offset: 0, from: .start) }
        return hasher.finalize()
    }

    /// Sleeps as long as needed to stay at or below the rate.
    private static func pace(sent: UInt64, since start: ContinuousClock.Instant, megabytesPerSecond: Double) async throws {
        let due = start + .seconds(min(Double(sent) / (megabytesPerSecond * 1e6), 9e9))
        if due > .now {
            try await Task.sleep(until: due, clock: .continuous)
        }
    }
}
