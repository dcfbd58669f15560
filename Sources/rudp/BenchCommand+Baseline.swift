import Logging
import RUDP

extension BenchCommand {
    /// The largest `--size` with `--baseline`: a message the protocol sends in one 1,200-byte
    /// datagram even when protected (1,200 - 19 header - 17 MESSAGE frame - 16 tag = 1,148), so
    /// baseline and protocol send the same number of datagrams.
    static var baselineMaximumSize: Int {
        ConnectionConfiguration().maxDatagramSize - EncodedSize.header - EncodedSize.messageOverhead - EncodedSize.protectionTag
    }

    /// `--baseline`: `--rounds` rounds of one raw-UDP baseline run and one protocol run, the order
    /// alternating per round, then the medians, spreads and ratios.
    func runBaselineComparison(security: SecurityConfiguration?, logger: Logger) async throws {
        // The first run in a process pays for starting threads, first sockets and allocations:
        // one unmeasured short run of each kind (the warm-up and one message) takes that cost, so
        // that it does not fall on round 1's first run.
        var priming = self
        priming.messages = 1
        priming.mode = .bulk
        _ = try await priming.measureBaseline(logger: logger)
        _ = try await priming.measure(security: security, logger: logger)
        let loadAtStart = LoadAverage.read()
        var baselineRuns: [BaselineReport] = [], protocolRuns: [BenchReport] = []
        for round in 0..<rounds {
            // Alternate which kind goes first, so that a slow drift of the machine's load weighs
            // on both alike.
            for baselineRun in round % 2 == 0 ? [true, false] : [false, true] {
                if baselineRun {
                    let report = try await measureBaseline(logger: logger)
                    baselineRuns.append(report)
                    if !json { Console.printLine(report.runLine(round: round + 1, of: rounds)) }
                } else {
                    let report = try await measure(security: security, logger: logger)
                    protocolRuns.append(report)
                    if !json {
                        Console.printLine(
                            "round \(round + 1)/\(rounds) protocol  \(Format.fixed(report.throughputMBps, digits: 2)) MB/s"
                                + "  p50 \(Format.fixed(report.latencyMs.p50, digits: 3)) ms  p99 \(Format.fixed(report.latencyMs.p99, digits: 3)) ms"
                                + "  (injected drops \(report.receiverInjectedDrops), fragments retransmitted \(report.sender.fragmentsRetransmitted))"
                        )
                    }
                }
            }
        }
        let comparison = BaselineComparison(
            baseline: baselineRuns, protocol: protocolRuns,
            loadAverageAtStart: loadAtStart, loadAverageAtEnd: LoadAverage.read())
        Console.printLine(json ? try comparison.json() : comparison.text())
    }

    /// One raw-UDP baseline run: the workload of ``measure(security:logger:)``, loss-free, sent
    /// as plain datagrams through a fresh ``RawDatagramPath``.
    func measureBaseline(logger: Logger) async throws -> BaselineReport {
        let total = warmup + measuredMessages
        let warmup = self.warmup, size = self.size
        // The budget the protocol's client has: --window messages in bulk mode, the default otherwise.
        var configuration = ConnectionConfiguration()
        configuration.maxMessageSize = max(configuration.maxMessageSize, size)
        if mode == .bulk { configuration.sendBufferMessages = window }

        let path: RawDatagramPath
        do {
            path = try await RawDatagramPath.open(
                configuration: configuration,
                segmentationOffload: !OffloadEnvironment.disablesSegmentation,
                receiveOffload: !OffloadEnvironment.disablesReceiveOffload)
        } catch {
            throw CLIError("the baseline could not open its sockets: \(error)")
        }
        let watchdog = InactivityWatchdog(limit: timeout, phase: "starting the baseline")
        watchdog.setExpiryAction { await path.close() }
        watchdog.start()
        defer { watchdog.stop() }

        let receiving = Task { () throws -> Tally in
            try await Self.tally(path.receiver.messages, size: size, warmup: warmup, total: total, exactlyOnceInOrder: false)
        }
        let measuredStart: UInt64
        let tally: Tally
        do {
            measuredStart = try await sendWorkload(through: path.sender, watchdog: watchdog)
            watchdog.progress(phase: "waiting for the last datagrams to be read")
            try await path.sender.waitUntilAllAcknowledged()
            // Every datagram was read or counted as lost: end the stream after what was read.
            path.receiver.finish()
            tally = try await receiving.value
        } catch {
            await path.close()
            receiving.cancel()
            if let timeout = watchdog.expiredError { throw timeout }
            if let receiverError = await Self.failure(of: receiving) { throw receiverError }
            throw (error as? CLIError) ?? CLIError("the baseline failed: \(error)")
        }
        let statistics = await path.statistics()
        await path.close()

        let nanoseconds = max(1, tally.lastDeliveryNanoseconds > measuredStart ? tally.lastDeliveryNanoseconds - measuredStart : 1)
        let seconds = Double(nanoseconds) / 1e9
        let histogram = tally.histogram
        func milliseconds(_ value: UInt64) -> Double { Double(value) / 1e6 }
        return BaselineReport(
            mode: mode.rawValue,
            messages: measuredMessages,
            messageSize: size,
            warmupMessages: warmup,
            window: mode == .bulk ? window : nil,
            rate: mode == .paced ? rate : nil,
            durationSeconds: seconds,
            throughputMBps: Double(tally.measuredReceived * size) / seconds / 1e6,
            messagesPerSecond: Double(tally.measuredReceived) / seconds,
            latencyMs: .init(
                p50: milliseconds(histogram.valueAtPercentile(50)),
                p90: milliseconds(histogram.valueAtPercentile(90)),
                p99: milliseconds(histogram.valueAtPercentile(99)),
                max: milliseconds(histogram.max),
                mean: histogram.mean / 1e6
            ),
            datagramsSent: statistics.datagramsSent,
            datagramsReceived: statistics.datagramsReceived,
            messagesMissing: tally.missing,
            messagesLate: tally.late,
            segmentationOffload: statistics.usesSegmentation
        )
    }
}
