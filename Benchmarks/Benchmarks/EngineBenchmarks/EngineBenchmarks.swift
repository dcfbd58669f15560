import Benchmark
import EngineExchange

/// Malloc counts (and times) of the engine moving 1,000 messages of 1 KiB between two endpoints
/// in memory (`EngineExchange`), at 0% and 10% seeded loss. Only the transfer is measured: the
/// handshake runs before `startMeasurement` and the close after `stopMeasurement`.
///
/// The scaling factor is 1,000 (the messages per iteration), so `--scale` prints the figures per
/// message; the threshold files under `Thresholds/` hold `mallocCountTotal` per iteration (per
/// 1,000 messages). See ../../README.md for running, checking and updating.
let benchmarks: @Sendable () -> Void = {
    let messagesPerIteration = 1_000

    for (name, loss) in [("Exchange1KiB-loss0", 0.0), ("Exchange1KiB-loss10", 0.1)] {
        Benchmark(
            name,
            configuration: .init(
                metrics: [.mallocCountTotal, .wallClock, .throughput],
                scalingFactor: .kilo,
                maxDuration: .seconds(5),
                maxIterations: 20,
                thresholds: [
                    // The exchange is deterministic (seeded): the count moves only when the code
                    // does. 0.05 mallocs per message is far below any real change (one
                    // allocation more per message is +1,000).
                    .mallocCountTotal: BenchmarkThresholds(relative: [.p90: 1.0], absolute: [.p90: 50])
                ]
            )
        ) { benchmark in
            var options = ExchangeOptions()
            options.messages = messagesPerIteration
            options.loss = loss
            var exchange = Exchange(options: options)
            try exchange.connect()
            benchmark.startMeasurement()
            try exchange.transfer()
            benchmark.stopMeasurement()
            try exchange.close()
            blackHole(exchange.statistics.checksum)
        }
    }
}
