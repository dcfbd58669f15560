import ArgumentParser
import Histogram
import Logging
@_spi(Testing) import RUDP
import RUDPSecurity

/// `rudp bench`: Measure throughput and latency over loopback UDP with injected loss.
///
/// Two endpoints in one process on real loopback UDP sockets; the client sends messages that
/// carry their send time (first 8 bytes: monotonic nanoseconds) and a sequence number (next 8
/// bytes); the server records one-way latency in an HdrHistogram and checks that every message
/// arrives exactly once and in order.
///
/// ```
/// rudp bench --mode bulk --loss 0.01 --seed 1
/// rudp bench --mode paced --rate 1000 --loss 0.1 --json
/// rudp bench --psk-file rudp.key                       # encrypted
/// rudp bench --compare-security --runs 5                # encrypted/plain ratio
/// rudp bench --baseline --loss 0.01                     # protocol/raw-UDP ratios
/// ```
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput and latency over loopback UDP with injected loss.",
        discussion: """
            Runs a server and a client in this process over real loopback UDP sockets. The client \
            sends --warmup messages, waits until they are acknowledged, then sends --messages more, \
            each --size bytes (the first 8 bytes hold the monotonic send time in nanoseconds, the \
            next 8 a sequence number). Each endpoint drops --loss of the datagrams it receives, \
            chosen by a generator seeded with --seed (server: seed, client: seed + 1); the server, \
            which receives the messages, starts dropping after the warm-up; the client, which \
            receives only acknowledgements, from the start, so the whole measurement sees loss in \
            both directions. The server checks every message arrives exactly once and in order \
            (else the exit status is 1), and records the one-way latency (send to delivery) in an \
            HdrHistogram.

            Modes:
              bulk   as fast as --window unacknowledged messages allow (20000 messages)
              paced  --rate messages per second (3000 messages)

            Reports throughput in MB/s (10^6 bytes of message payload per second, from the first \
            measured send to the last measured delivery) and latency p50/p90/p99/max in milliseconds; \
            --json prints the same as JSON on standard output.

            Security: with --psk-file PATH (or RUDP_PSK) both endpoints protect every packet, \
            encrypted unless --security authenticated. --compare-security measures the cost: it \
            runs plain and protected benchmarks alternately (--runs each, the order alternating \
            per pair: plain/protected, protected/plain, ...) and prints the median throughput and \
            latency of each and the protected/plain ratio. It uses the key of --psk-file or \
            RUDP_PSK, or else a fresh random key held in memory only.

            Baseline: --baseline measures the floor under the protocol in the same invocation. \
            After one unmeasured short run of each kind (it takes the cost of a process's first \
            run), it runs --rounds rounds, each one baseline run and one protocol run (the order \
            alternating per round), and prints both, their medians with the spread (min-max) of \
            the rounds, the protocol/baseline ratios of throughput, p50 and p99 (of the medians; \
            the spread is that of the rounds' ratios) and the load average (/proc/loadavg) before \
            and after. A baseline run sends the same workload (same messages with the same send \
            time and sequence number, warm-up, --mode, --rate, --window as the send budget) as raw \
            UDP datagrams, one per message, through the same path as the protocol: the same NIO \
            sockets and options (vector reads, receive allocator, socket buffers, event loops), \
            the same batched writes (one copy into the socket's buffer, UDP GSO runs, one flush \
            per step), the same mailbox between tasks and event loops (send budget, back-pressure, \
            one hop to the loop; one hand-over per read batch to the consuming task) and the \
            same receiving task (size check, sequence tally, latency histogram; a skipped \
            sequence number is counted as missing instead of failing the run). It leaves out everything the \
            protocol adds: headers, CRC-32C, encryption, acknowledgements (the receiving loop \
            shares the highest sequence number read with the sender's loop, which frees the send \
            budget, and wakes it only while a task waits for that), retransmission, reordering \
            and duplicate checks, congestion and flow control, pacing and timers. It cannot retransmit, so it always runs without injected \
            loss: a lossy protocol run is compared with the loss-free floor. Datagrams that the \
            network loses are counted as missing (a datagram not read 1 s after the last progress \
            counts as lost). --size is at most 1148 bytes with --baseline, so that both send one \
            datagram per message.

            Examples:
              rudp bench
              rudp bench --mode bulk --loss 0.10 --seed 1
              rudp bench --mode paced --rate 1000 --loss 0.10 --json
              rudp bench --messages 3000 --size 512 --json
              rudp bench --psk-file rudp.key --security authenticated
              rudp bench --compare-security --runs 5               # encrypted vs plain
              rudp bench --compare-security --security authenticated --runs 7 --json
              rudp bench --baseline --mode bulk --loss 0.01
              rudp bench --baseline --mode paced --rounds 5 --json
            """
    )

    /// How the client sends.
    enum Mode: String, CaseIterable, ExpressibleByArgument, Sendable {
        case bulk, paced
    }

    @Option(help: ArgumentHelp("bulk (as fast as the window allows) or paced (--rate per second).", valueName: "mode"))
    var mode: Mode = .bulk

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Messages to measure (default: 20000 in bulk mode, 3000 in paced mode).", valueName: "count"))
    var messages: Int?

    @Option(
        parsing: .unconditional, help: ArgumentHelp("Bytes per message (at least 16: send time and sequence number).", valueName: "bytes"))
    var size = 1024

    @Option(parsing: .unconditional, help: ArgumentHelp("Paced mode: messages per second.", valueName: "per-second"))
    var rate: Double = 1000

    @Option(parsing: .unconditional, help: ArgumentHelp("Bulk mode: most messages sent but not yet acknowledged.", valueName: "count"))
    var window = 256

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Fraction of received datagrams each endpoint drops (the message receiver only after the warm-up), 0 to 0.9.",
            valueName: "fraction"))
    var loss: Double = 0

    @Option(parsing: .unconditional, help: ArgumentHelp("Seed of the loss generators.", valueName: "seed"))
    var seed: UInt64 = 1

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Messages sent (and acknowledged) before measuring; the server drops none of them.", valueName: "count"))
    var warmup = 2000

    @Flag(help: "Print the report as JSON on standard output.")
    var json = false

    @Option(
        parsing: .unconditional, help: ArgumentHelp("Give up (exit 1) if nothing progresses for this many seconds.", valueName: "seconds"))
    var timeout: Double = 60

    @OptionGroup(title: "Security") var securityOptions: SecurityOptions

    @Flag(
        help: ArgumentHelp(
            "Run plain and protected (--security, default encrypted) benchmarks alternately and print medians and the protected/plain ratio.",
            discussion: "Uses the key of --psk-file or RUDP_PSK, or a fresh random in-memory key when neither is given."
        ))
    var compareSecurity = false

    @Option(
        parsing: .unconditional, help: ArgumentHelp("With --compare-security: runs of each kind (plain and protected).", valueName: "count")
    )
    var runs = 5

    @Flag(
        help: ArgumentHelp(
            "Alternate raw-UDP baseline runs (the same workload and path without the protocol, loss-free) with protocol runs; print both and the protocol/baseline ratios.",
            discussion: "See Baseline above for what the baseline includes and leaves out."
        ))
    var baseline = false

    @Option(
        parsing: .unconditional, help: ArgumentHelp("With --baseline: rounds, each one baseline and one protocol run.", valueName: "count"))
    var rounds = 3

    @Flag(
        help: ArgumentHelp(
            "Take the messages on the receiving connection's event loop (RUDPConnection.taskExecutor), not on Swift's global executor.",
            discussion: "Compares the two placements of application code; not with --baseline, whose raw path has no such option."
        ))
    var receiverOnEventLoop = false

    @OptionGroup var logOptions: LogOptions
    @OptionGroup var metricsOptions: MetricsOptions

    /// The messages measured, with the mode's default.
    var measuredMessages: Int { messages ?? (mode == .bulk ? 20_000 : 3_000) }

    /// The largest latency the histogram tracks (larger values are clamped): ten minutes.
    static let highestTrackableNanoseconds: UInt64 = 600_000_000_000

    func validate() throws {
        try OptionCheck.count(measuredMessages, "--messages", in: 1...10_000_000)
        try OptionCheck.count(size, "--size", in: 16...(1 << 20), unit: "bytes")
        try OptionCheck.number(rate, "--rate", in: 0.1...1_000_000, unit: "messages per second")
        try OptionCheck.count(window, "--window", in: 1...16_384)
        try OptionCheck.number(loss, "--loss", in: 0...0.9, unit: "fraction")
        try OptionCheck.count(warmup, "--warmup", in: 0...1_000_000)
        try OptionCheck.seconds(timeout, "--timeout")
        try OptionCheck.count(runs, "--runs", in: 1...100)
        try OptionCheck.count(rounds, "--rounds", in: 1...100)
        if baseline && receiverOnEventLoop {
            throw ValidationError("--receiver-on-event-loop does not go with --baseline: compare runs with and without it")
        }
        if baseline {
            if compareSecurity {
                throw ValidationError("--baseline and --compare-security cannot be combined: run them one after the other")
            }
            if size > Self.baselineMaximumSize {
                throw ValidationError(
                    "--size must be at most \(Self.baselineMaximumSize) bytes with --baseline (one datagram per message for both the protocol and the baseline), got \(size)"
                )
            }
        }
    }

    /// What the receiving side measured.
    private struct Reception: Sendable {
        var histogram: Histogram<UInt64>
        var lastDeliveryNanoseconds: UInt64
        var statistics: ConnectionStatistics
    }

    func run() async throws {
        let logger = logOptions.makeLogger(label: "rudp.bench")
        metricsOptions.bootstrap()
        defer { metricsOptions.printIfRequested() }
        let security = try securityOptions.resolve(allowModeWithoutKey: compareSecurity)
        if baseline {
            try await runBaselineComparison(security: security?.configuration, logger: logger)
            return
        }
        guard compareSecurity else {
            let report = try await measure(security: security?.configuration, logger: logger)
            Console.printLine(json ? try report.json() : report.text())
            return
        }
        let protected: SecurityConfiguration
        if let security {
            protected = security.configuration
        } else {
            do {
                protected = SecurityConfiguration(mode: (securityOptions.mode ?? .encrypted).securityMode, key: try PreSharedKey.generate())
            } catch {
                throw CLIError("cannot generate a key for --compare-security: \(error)")
            }
        }
        var plainReports: [BenchReport] = [], protectedReports: [BenchReport] = []
        for pair in 0..<runs {
            // Alternate which kind goes first, so that a slow drift of the machine's load
            // weighs on both kinds alike.
            for protectedFirst in pair % 2 == 0 ? [false, true] : [true, false] {
                let report = try await measure(security: protectedFirst ? protected : nil, logger: logger)
                if protectedFirst { protectedReports.append(report) } else { plainReports.append(report) }
                if !json {
                    Console.printLine(
                        BenchComparison.runLine(report, index: protectedFirst ? protectedReports.count : plainReports.count, of: runs))
                }
            }
        }
        let comparison = BenchComparison(protectedMode: protected.mode.rawValue, plain: plainReports, protected: protectedReports)
        Console.printLine(json ? try comparison.json() : comparison.text())
    }

    /// One benchmark run: a fresh server and client, both protected by `security` (nil: plain).
    func measure(security: SecurityConfiguration?, logger: Logger) async throws -> BenchReport {
        let total = warmup + measuredMessages
        let warmup = self.warmup, size = self.size

        var serverConfiguration = RUDPConfiguration.fromEnvironment()
        serverConfiguration.logger = logger
        serverConfiguration.receiveLoss = loss
        serverConfiguration.lossSeed = seed
        serverConfiguration.lossWarmupDatagrams = warmup
        serverConfiguration.connection.maxMessageSize = max(serverConfiguration.connection.maxMessageSize, size)
        serverConfiguration.security = security
        var clientConfiguration = serverConfiguration
        clientConfiguration.lossSeed = seed &+ 1
        // The warm-up is counted in datagrams received. The server receives about one datagram
        // per message, so its count matches the warm-up messages. The client receives only
        // acknowledgements, a few dozen per thousand messages without loss: a count of `warmup`
        // would start its loss somewhere in the middle of the measurement. So the client drops
        // from the start: the whole measurement sees loss in both directions, and the warm-up
        // loses at most a few (cumulative) acknowledgements or the ACCEPT (retried).
        clientConfiguration.lossWarmupDatagrams = 0
        if mode == .bulk {
            clientConfiguration.connection.sendBufferMessages = window
        }

        let server = try await RUDPServer.bind(host: "127.0.0.1", port: 0, configuration: serverConfiguration)
        let watchdog = InactivityWatchdog(limit: timeout, phase: "connecting the benchmark client")
        watchdog.setExpiryAction { await server.shutdown() }
        watchdog.start()
        defer { watchdog.stop() }

        let receiving = Task { () throws -> Reception in
            var connections = server.connections.makeAsyncIterator()
            guard let connection = await connections.next() else {
                throw CLIError("the benchmark server stopped before the client connected")
            }
            let tally = try await withTaskExecutorPreference(receiverOnEventLoop ? connection.taskExecutor : nil) {
                try await Self.tally(connection.messages, size: size, warmup: warmup, total: total, exactlyOnceInOrder: true)
            }
            let statistics = await connection.statistics()
            return Reception(histogram: tally.histogram, lastDeliveryNanoseconds: tally.lastDeliveryNanoseconds, statistics: statistics)
        }

        let client: RUDPConnection
        do {
            client = try await RUDPClient.connect(host: "127.0.0.1", port: server.port, configuration: clientConfiguration)
        } catch {
            receiving.cancel()
            await server.shutdown()
            throw watchdog.expiredError ?? CLIError("the benchmark client could not connect: \(error)")
        }
        watchdog.setExpiryAction {
            await client.abort()
            await server.shutdown()
        }

        let measuredStart: UInt64
        let reception: Reception
        let senderStatistics: ConnectionStatistics
        do {
            measuredStart = try await sendWorkload(through: client, watchdog: watchdog)
            watchdog.progress(phase: "waiting for the last messages to arrive")
            reception = try await receiving.value
            try await client.waitUntilAllAcknowledged()
            senderStatistics = await client.statistics()
        } catch {
            await client.abort()
            await server.shutdown()
            receiving.cancel()
            if let timeout = watchdog.expiredError { throw timeout }
            if let receiverError = await Self.failure(of: receiving) { throw receiverError }
            throw (error as? CLIError) ?? CLIError("the benchmark connection failed: \(error)")
        }
        let injectedDrops = await server.injectedLosses()
        try? await client.close()
        await server.shutdown()

        let nanoseconds = max(1, reception.lastDeliveryNanoseconds - measuredStart)
        let seconds = Double(nanoseconds) / 1e9
        let histogram = reception.histogram
        func milliseconds(_ value: UInt64) -> Double { Double(value) / 1e6 }
        return BenchReport(
            mode: mode.rawValue,
            security: security?.mode.rawValue ?? SecurityMode.none.rawValue,
            messages: measuredMessages,
            messageSize: size,
            warmupMessages: warmup,
            loss: loss,
            seed: seed,
            window: mode == .bulk ? window : nil,
            rate: mode == .paced ? rate : nil,
            durationSeconds: seconds,
            throughputMBps: Double(measuredMessages * size) / seconds / 1e6,
            messagesPerSecond: Double(measuredMessages) / seconds,
            latencyMs: .init(
                p50: milliseconds(histogram.valueAtPercentile(50)),
                p90: milliseconds(histogram.valueAtPercentile(90)),
                p99: milliseconds(histogram.valueAtPercentile(99)),
                max: milliseconds(histogram.max),
                mean: histogram.mean / 1e6
            ),
            sender: .init(senderStatistics),
            receiver: .init(reception.statistics),
            receiverInjectedDrops: injectedDrops
        )
    }

    /// The workload's sending side, the same for protocol and baseline runs: `--warmup` stamped
    /// messages, a wait until they are acknowledged, then the measured messages (paced or bulk).
    /// Returns when the measurement started (monotonic nanoseconds).
    func sendWorkload<Sender: BenchSender>(through sender: Sender, watchdog: InactivityWatchdog) async throws -> UInt64 {
        // The options in locals: each read of an argument-parser property goes through its
        // property wrapper's getter (about 1,100 instructions a message in a 100,000-message bulk
        // run under callgrind), charged to the sending task of both the baseline and the protocol.
        let warmup = self.warmup, measuredMessages = self.measuredMessages, paced = mode == .paced, rate = self.rate
        // A ByteBuffer, through the same ByteBuffer API in both runs: each stamp copies it once (the
        // queued message still holds the previous storage), the engine or baseline copies it
        // once more, into the socket's buffer.
        var message = ByteBuffer(repeating: 0xA5, count: size)
        watchdog.progress(phase: "sending the warm-up messages")
        for sequence in 0..<warmup {
            Self.writeStamp(into: &message, sentAt: ContinuousClock.processNanoseconds(), sequence: UInt64(sequence))
            try await sender.send(message)
        }
        watchdog.progress(phase: "waiting for the warm-up messages to be acknowledged")
        try await sender.waitUntilAllAcknowledged()
        let measuredStart = ContinuousClock.processNanoseconds()
        let interval = 1e9 / rate
        for index in 0..<measuredMessages {
            if paced {
                let due = measuredStart + UInt64(Double(index) * interval)
                let now = ContinuousClock.processNanoseconds()
                if due > now { try await Task.sleep(for: .nanoseconds(Int64(due - now))) }
            }
            if index % 1024 == 0 {
                watchdog.progress(phase: "sending message \(index) of \(measuredMessages)")
            }
            Self.writeStamp(into: &message, sentAt: ContinuousClock.processNanoseconds(), sequence: UInt64(warmup + index))
            try await sender.send(message)
        }
        return measuredStart
    }

    /// What the receiving task counted and measured.
    struct Tally: Sendable {
        var histogram: Histogram<UInt64>
        var lastDeliveryNanoseconds: UInt64
        /// Messages taken in sequence order (every message, when `exactlyOnceInOrder`).
        var received = 0
        /// Measured messages (after the warm-up) among them.
        var measuredReceived = 0
        /// Sequence numbers skipped: lost, or overtaken (arriving later, counted as `late`).
        var missing = 0
        /// Messages older than one already taken (reordered or duplicated); not measured.
        var late = 0
    }

    /// The workload's receiving side, the same for protocol and baseline runs: takes `messages`
    /// until the last sequence number (or the end of the stream), records the one-way latency of
    /// the measured ones, and checks each message's size. With `exactlyOnceInOrder` (the
    /// protocol) a message out of sequence or a stream that ends early is an error; without (the
    /// raw baseline) skipped and late messages are counted.
    static func tally<Messages: AsyncSequence>(
        _ messages: Messages, size: Int, warmup: Int, total: Int,
        exactlyOnceInOrder: Bool
    ) async throws -> Tally where Messages.Element == ReceivedMessage {
        var tally = Tally(
            histogram: Histogram<UInt64>(
                lowestDiscernibleValue: 1, highestTrackableValue: highestTrackableNanoseconds,
                numberOfSignificantValueDigits: .three),
            lastDeliveryNanoseconds: 0)
        var expected: UInt64 = 0
        for try await message in messages {
            let now = ContinuousClock.processNanoseconds()
            guard message.buffer.readableBytes == size else {
                throw CLIError("message \(expected) arrived with \(message.buffer.readableBytes) bytes instead of \(size)")
            }
            let (sentAt, sequence) = readStamp(message.buffer)
            if sequence != expected {
                guard !exactlyOnceInOrder else {
                    throw CLIError("message \(sequence) arrived when \(expected) was expected: delivery is not exactly once and in order")
                }
                guard sequence > expected, sequence < UInt64(total) else {
                    tally.late += 1
                    continue
                }
                tally.missing += Int(sequence - expected)
            }
            expected = sequence + 1
            tally.received += 1
            if sequence >= UInt64(warmup) {
                tally.histogram.record(min(now &- sentAt, highestTrackableNanoseconds))
                tally.lastDeliveryNanoseconds = now
                tally.measuredReceived += 1
            }
            if expected == UInt64(total) { break }
        }
        guard expected == UInt64(total) else {
            if exactlyOnceInOrder {
                throw CLIError("the connection closed after \(expected) of \(total) messages")
            }
            tally.missing += total - Int(expected)
            return tally
        }
        return tally
    }

    /// The receiver's own error if it failed (it explains more than the sender's).
    static func failure<Value>(of receiving: Task<Value, any Error>) async -> CLIError? {
        do {
            _ = try await receiving.value
            return nil
        } catch let error as CLIError {
            return error
        } catch {
            return nil
        }
    }

    /// Writes the send time and the sequence number (little-endian) into the first 16 bytes.
    ///
    /// Two 8-byte stores: writing byte by byte cost about 700 instructions a message (a bounds
    /// and uniqueness check per byte) on the sending task of both the baseline and the protocol.
    static func writeStamp(into message: inout ByteBuffer, sentAt: UInt64, sequence: UInt64) {
        precondition(message.readableBytes >= 16, "a benchmark message holds at least its 16-byte stamp")
        message.setInteger(sentAt, at: message.readerIndex, endianness: .little)
        message.setInteger(sequence, at: message.readerIndex + 8, endianness: .little)
    }

    /// Reads what ``writeStamp(into:sentAt:sequence:)`` wrote.
    static func readStamp(_ message: ByteBuffer) -> (sentAt: UInt64, sequence: UInt64) {
        precondition(message.readableBytes >= 16, "a benchmark message holds at least its 16-byte stamp")
        return message.withUnsafeReadableBytes { bytes in
            (
                UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
                UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            )
        }
    }
}
