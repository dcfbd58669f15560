import ArgumentParser
import Histogram
import Logging
import RUDP
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

            Examples:
              rudp bench
              rudp bench --mode bulk --loss 0.10 --seed 1
              rudp bench --mode paced --rate 1000 --loss 0.10 --json
              rudp bench --messages 3000 --size 512 --json
              rudp bench --psk-file rudp.key --security authenticated
              rudp bench --compare-security --runs 5               # encrypted vs plain
              rudp bench --compare-security --security authenticated --runs 7 --json
            """
    )

    /// How the client sends.
    enum Mode: String, CaseIterable, ExpressibleByArgument, Sendable {
        case bulk, paced
    }

    @Option(help: ArgumentHelp("bulk (as fast as the window allows) or paced (--rate per second).", valueName: "mode"))
    var mode: Mode = .bulk

    @Option(parsing: .unconditional, help: ArgumentHelp("Messages to measure (default: 20000 in bulk mode, 3000 in paced mode).", valueName: "count"))
    var messages: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Bytes per message (at least 16: send time and sequence number).", valueName: "bytes"))
    var size = 1024

    @Option(parsing: .unconditional, help: ArgumentHelp("Paced mode: messages per second.", valueName: "per-second"))
    var rate: Double = 1000

    @Option(parsing: .unconditional, help: ArgumentHelp("Bulk mode: most messages sent but not yet acknowledged.", valueName: "count"))
    var window = 256

    @Option(parsing: .unconditional, help: ArgumentHelp("Fraction of received datagrams each endpoint drops (the message receiver only after the warm-up), 0 to 0.9.", valueName: "fraction"))
    var loss: Double = 0

    @Option(parsing: .unconditional, help: ArgumentHelp("Seed of the loss generators.", valueName: "seed"))
    var seed: UInt64 = 1

    @Option(parsing: .unconditional, help: ArgumentHelp("Messages sent (and acknowledged) before measuring; the server drops none of them.", valueName: "count"))
    var warmup = 2000

    @Flag(help: "Print the report as JSON on standard output.")
    var json = false

    @Option(parsing: .unconditional, help: ArgumentHelp("Give up (exit 1) if nothing progresses for this many seconds.", valueName: "seconds"))
    var timeout: Double = 60

    @OptionGroup(title: "Security") var securityOptions: SecurityOptions

    @Flag(help: ArgumentHelp(
        "Run plain and protected (--security, default encrypted) benchmarks alternately and print medians and the protected/plain ratio.",
        discussion: "Uses the key of --psk-file or RUDP_PSK, or a fresh random in-memory key when neither is given."
    ))
    var compareSecurity = false

    @Option(parsing: .unconditional, help: ArgumentHelp("With --compare-security: runs of each kind (plain and protected).", valueName: "count"))
    var runs = 5

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
                    Console.printLine(BenchComparison.runLine(report, index: protectedFirst ? protectedReports.count : plainReports.count, of: runs))
                }
            }
        }
        let comparison = BenchComparison(protectedMode: protected.mode.rawValue, plain: plainReports, protected: protectedReports)
        Console.printLine(json ? try comparison.json() : comparison.text())
    }

    /// One benchmark run: a fresh server and client, both protected by `security` (nil: plain).
    private func measure(security: SecurityConfiguration?, logger: Logger) async throws -> BenchReport {
        let total = warmup + measuredMessages
        let warmup = self.warmup, size = self.size

        var serverConfiguration = RUDPConfiguration()
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
            var histogram = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: Self.highestTrackableNanoseconds, numberOfSignificantValueDigits: .three)
            var expected: UInt64 = 0
            var lastDelivery: UInt64 = 0
            for try await message in connection.messages {
                let now = MonotonicClock.nanoseconds()
                guard message.bytes.count == size else {
                    throw CLIError("message \(expected) arrived with \(message.bytes.count) bytes instead of \(size)")
                }
                let (sentAt, sequence) = Self.readStamp(message.bytes)
                guard sequence == expected else {
                    throw CLIError("message \(sequence) arrived when \(expected) was expected: delivery is not exactly once and in order")
                }
                expected += 1
                if sequence >= UInt64(warmup) {
                    histogram.record(min(now &- sentAt, Self.highestTrackableNanoseconds))
                    lastDelivery = now
                }
                if expected == UInt64(total) { break }
            }
            guard expected == UInt64(total) else {
                throw CLIError("the connection closed after \(expected) of \(total) messages")
            }
            let statistics = await connection.statistics()
            return Reception(histogram: histogram, lastDeliveryNanoseconds: lastDelivery, statistics: statistics)
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
            var message = [UInt8](repeating: 0xA5, count: size)
            watchdog.progress(phase: "sending the warm-up messages")
            for sequence in 0..<warmup {
                Self.writeStamp(into: &message, sentAt: MonotonicClock.nanoseconds(), sequence: UInt64(sequence))
                try await client.send(message)
            }
            watchdog.progress(phase: "waiting for the warm-up messages to be acknowledged")
            try await client.waitUntilAllAcknowledged()
            measuredStart = MonotonicClock.nanoseconds()
            let interval = 1e9 / rate
            for index in 0..<measuredMessages {
                if mode == .paced {
                    let due = measuredStart + UInt64(Double(index) * interval)
                    let now = MonotonicClock.nanoseconds()
                    if due > now { try await Task.sleep(for: .nanoseconds(Int64(due - now))) }
                }
                if index % 1024 == 0 {
                    watchdog.progress(phase: "sending message \(index) of \(measuredMessages)")
                }
                Self.writeStamp(into: &message, sentAt: MonotonicClock.nanoseconds(), sequence: UInt64(warmup + index))
                try await client.send(message)
            }
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

    /// The receiver's own error if it failed (it explains more than the sender's).
    private static func failure(of receiving: Task<Reception, any Error>) async -> CLIError? {
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
    static func writeStamp(into message: inout [UInt8], sentAt: UInt64, sequence: UInt64) {
        for index in 0..<8 {
            message[index] = UInt8(truncatingIfNeeded: sentAt >> UInt64(8 * index))
            message[8 + index] = UInt8(truncatingIfNeeded: sequence >> UInt64(8 * index))
        }
    }

    /// Reads what ``writeStamp(into:sentAt:sequence:)`` wrote.
    static func readStamp(_ message: [UInt8]) -> (sentAt: UInt64, sequence: UInt64) {
        var sentAt: UInt64 = 0, sequence: UInt64 = 0
        for index in (0..<8).reversed() {
            sentAt = sentAt << 8 | UInt64(message[index])
            sequence = sequence << 8 | UInt64(message[8 + index])
        }
        return (sentAt, sequence)
    }
}
