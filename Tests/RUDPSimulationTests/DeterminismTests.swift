import RUDPCore
import RUDPImpairment
import RUDPSimulation
import Testing

@Suite("Determinism and reporting")
struct DeterminismTests {
    /// Two nodes pinging an echo node over links whose conditions are all drawn from `seed`.
    private func run(seed: UInt64) -> (digest: UInt64, trace: [TraceEntry], report: SimulationReport) {
        var rng = SeededGenerator(seed: seed)
        let simulator = NetworkSimulator(seed: seed, recordTrace: true)
        let echo = EchoNode()
        let echoAddress = simulator.addNode(echo)
        for _ in 0..<2 {
            let sender = SenderNode(to: echoAddress, count: 300, interval: .milliseconds(3), size: 64)
            let address = simulator.addNode(sender)
            simulator.connectBidirectional(
                address, echoAddress,
                forward: .random(using: &rng, maxLoss: 0.3, partitionHorizon: .seconds(1)),
                backward: .random(using: &rng, maxLoss: 0.3, partitionHorizon: .seconds(1)))
        }
        simulator.run(for: .seconds(3))
        return (simulator.traceDigest, simulator.trace, simulator.report)
    }

    @Test(arguments: [1, 2, 0xDEAD_BEEF] as [UInt64])
    func sameSeedGivesTheSameRun(seed: UInt64) {
        let first = run(seed: seed)
        let second = run(seed: seed)
        #expect(first.digest == second.digest, "\(first.report)")
        #expect(first.trace == second.trace, "\(first.report)")
        #expect(first.trace.count > 100, "\(first.report)")
        #expect(first.report.description == second.report.description)
    }

    @Test func differentSeedsGiveDifferentRuns() {
        let digests = ([3, 4, 5, 6] as [UInt64]).map { run(seed: $0).digest }
        #expect(Set(digests).count == digests.count, "\(digests)")
    }

    @Test func digestCoversPayloadBytes() {
        // Identical timings and sizes, one payload byte different.
        func digest(corruptingFirst: Bool) -> UInt64 {
            let simulator = NetworkSimulator(seed: 20)
            let sink = SinkNode()
            final class OneShot: SimulatedNode {
                var pending: [UInt8]?
                init(_ bytes: [UInt8]) { pending = bytes }
                func receive(_ datagram: [UInt8], from source: SimulatedAddress, at now: Timestamp) {}
                func handleTimeout(at now: Timestamp) {}
                func pollTransmit(at now: Timestamp) -> (datagram: [UInt8], destination: SimulatedAddress)? {
                    defer { pending = nil }
                    return pending.map { ($0, SimulatedAddress(node: 1)) }
                }
                func nextDeadline() -> Timestamp? { nil }
            }
            var bytes = payload(1, size: 40)
            if corruptingFirst { bytes[39] ^= 1 }
            let a = simulator.addNode(OneShot(bytes))
            let b = simulator.addNode(sink)
            simulator.connect(a, b, options: LinkOptions())
            simulator.run(for: .seconds(1))
            return simulator.traceDigest
        }
        #expect(digest(corruptingFirst: false) != digest(corruptingFirst: true))
        #expect(digest(corruptingFirst: false) == digest(corruptingFirst: false))
    }

    @Test func randomOptionsAreReproducibleValidAndVaried() {
        var burst = 0, duplication = 0, reordering = 0, corruption = 0, bandwidth = 0, partitions = 0
        for seed in 0..<500 as Range<UInt64> {
            var a = SeededGenerator(seed: seed)
            var b = SeededGenerator(seed: seed)
            let options = LinkOptions.random(using: &a, maxLoss: 0.3)
            #expect(options == LinkOptions.random(using: &b, maxLoss: 0.3))
            let context = SimulationFailure.reproduction(seed: seed, options: options)
            #expect(options.expectedLossRate <= 0.3 + 1e-9, "\(context)")
            #expect(options.delay >= .milliseconds(1) && options.delay <= .milliseconds(100), "\(context)")
            #expect(options.jitter <= options.delay / 2, "\(context)")
            if options.burstLoss != nil { burst += 1 }
            if options.duplication > 0 { duplication += 1 }
            if options.reordering > 0 { reordering += 1 }
            if options.corruption > 0 { corruption += 1 }
            if options.bandwidth != nil { bandwidth += 1 }
            if !options.partitions.isEmpty { partitions += 1 }

            var lossless = SeededGenerator(seed: seed)
            let healed = LinkOptions.random(using: &lossless, maxLoss: 0)
            #expect(healed.loss == 0 && healed.burstLoss == nil, "\(healed)")
        }
        for count in [burst, duplication, reordering, corruption, bandwidth, partitions] {
            #expect((50...300).contains(count), "\([burst, duplication, reordering, corruption, bandwidth, partitions])")
        }
    }

    @Test func descriptionsNameEveryOption() {
        let options = LinkOptions(
            delay: .milliseconds(12), jitter: .microseconds(1_500), loss: 0.25,
            burstLoss: .init(goodToBad: 0.01, badToGood: 0.2), duplication: 0.01, reordering: 0.02,
            corruption: 0.03, bandwidth: 125_000, queueCapacity: 20_000, partitions: [ms(100)..<ms(200)])
        let text = options.description
        for fragment in [
            "delay: 12.0ms", "jitter: 1.5ms", "loss: 0.25", "goodToBad: 0.01", "badToGood: 0.2",
            "lossInBad: 1.0", "lossInGood: 0.0", "duplication: 0.01", "reordering: 0.02",
            "reorderExtraDelay: 5.0ms", "corruption: 0.03", "bandwidth: 125000 B/s",
            "queueCapacity: 20000 B", "partitions: [t=100.0ms..<t=200.0ms]",
        ] {
            #expect(text.contains(fragment), "\(fragment) missing from \(text)")
        }
        #expect(LinkOptions().description.contains("bandwidth: unlimited"))
        #expect(LinkOptions().description.contains("burstLoss: none"))
    }

    @Test func failuresCarryTheSeedAndOptions() {
        let options = LinkOptions(loss: 0.1)
        let failure = SimulationFailure("did not converge", seed: 42, options: [options])
        #expect(failure.seed == 42)
        #expect(failure.description.hasPrefix("did not converge\nreproduce with: seed 42, options LinkOptions("))
        #expect(SimulationFailure.reproduction(seed: 7, options: options) == "seed 7, options \(options)")

        let scenario = SenderSinkScenario(seed: 99, options: options, count: 10, interval: .milliseconds(1))
        scenario.simulator.run(for: .seconds(1))
        let fromRun = scenario.simulator.failure("lost too much")
        #expect(fromRun.seed == 99)
        #expect(fromRun.description.contains("seed 99 at t=1000.0ms"))
        #expect(fromRun.description.contains("node0→node1: \(options)"))
        #expect(fromRun.description.contains("sent 10"))
    }
}
