import RUDPCore
import RUDPImpairment
import Testing

/// The accuracy and determinism of the decisions, without sockets: the proxy makes exactly
/// these decisions, one ``ImpairmentModel`` per direction.
@Suite struct ImpairmentModelAccuracyTests {
    /// Runs `count` datagrams of `size` bytes, one every `spacing` ns, and returns the decisions.
    static func run(
        _ options: LinkOptions, seed: UInt64, count: Int = 100_000, size: Int = 1200,
        spacing: UInt64 = 10_000
    ) -> [ImpairmentModel.Decision] {
        var model = ImpairmentModel(options: options, generator: SeededGenerator(seed: seed))
        return (0..<count).map { index in
            model.decide(size: size, at: Timestamp(nanoseconds: UInt64(index) * spacing))
        }
    }

    static func dropCount(_ decisions: [ImpairmentModel.Decision]) -> Int {
        decisions.filter { if case .dropped = $0 { true } else { false } }.count
    }

    @Test(arguments: [0.01, 0.1, 0.3, 0.5])
    func uniformLossOver100kDatagramsIsWithinHalfAPercentagePoint(loss: Double) {
        for seed: UInt64 in [1, 2, 3] {
            let decisions = Self.run(LinkOptions(delay: .zero, loss: loss), seed: seed)
            let measured = Double(Self.dropCount(decisions)) / Double(decisions.count)
            print("loss \(loss) seed \(seed): measured \(measured)")
            #expect(abs(measured - loss) < 0.005, "loss \(loss), seed \(seed): measured \(measured)")
        }
    }

    @Test func burstLossConvergesToItsStationaryRate() {
        let model = LinkOptions.GilbertElliott(goodToBad: 0.02, badToGood: 0.25)
        let options = LinkOptions(delay: .zero, burstLoss: model)
        let seed: UInt64 = 11
        let decisions = Self.run(options, seed: seed, count: 400_000)
        let measured = Double(Self.dropCount(decisions)) / Double(decisions.count)
        print("burst stationary \(model.stationaryLossRate), measured \(measured)")
        // Bursts make the variance larger than for uniform loss: 400,000 datagrams for 0.5 pp.
        #expect(abs(measured - model.stationaryLossRate) < 0.005, "seed \(seed)")
        // Losses come in runs: the mean run length is near 1 / badToGood = 4.
        var runs = 0, lost = 0, previousLost = false
        for decision in decisions {
            let isLost = if case .dropped = decision { true } else { false }
            if isLost { lost += 1; if !previousLost { runs += 1 } }
            previousLost = isLost
        }
        let meanRun = Double(lost) / Double(runs)
        print("mean burst length \(meanRun)")
        #expect(abs(meanRun - model.meanBurstLength) < 0.3, "seed \(seed): mean burst \(meanRun)")
    }

    @Test func sameSeedSameDecisionsAndAnotherSeedOthers() {
        var options = LinkOptions(
            delay: .milliseconds(5), jitter: .milliseconds(3), loss: 0.1,
            burstLoss: .init(goodToBad: 0.01, badToGood: 0.3),
            duplication: 0.05, reordering: 0.05, corruption: 0.05)
        options.bandwidth = 10_000_000
        options.queueCapacity = 20_000
        let first = Self.run(options, seed: 99, count: 20_000)
        let again = Self.run(options, seed: 99, count: 20_000)
        let other = Self.run(options, seed: 100, count: 20_000)
        #expect(first == again)
        #expect(first != other)
    }

    @Test func delayAndJitterGiveTheConfiguredMeanAndBounds() {
        let options = LinkOptions(delay: .milliseconds(20), jitter: .milliseconds(10))
        // Spaced wider than the jitter, so "jitter never reorders" does not push arrivals back.
        let spacing: UInt64 = 20_000_000
        let decisions = Self.run(options, seed: 5, count: 20_000, spacing: spacing)
        var total: UInt64 = 0
        for (index, decision) in decisions.enumerated() {
            guard case let .carried(carried) = decision else {
                Issue.record("datagram \(index) dropped without loss configured")
                return
            }
            let added = carried.arrival.nanoseconds - UInt64(index) * spacing
            #expect(added >= 20_000_000 && added <= 30_000_000)
            total += added
        }
        let mean = Double(total) / Double(decisions.count) / 1e6
        print("mean added delay \(mean) ms (expected 25)")
        #expect(abs(mean - 25) < 0.2)
    }

    @Test func corruptionDuplicationAndReorderingRatesMatch() {
        let options = LinkOptions(delay: .milliseconds(1), duplication: 0.1, reordering: 0.2, corruption: 0.05)
        let decisions = Self.run(options, seed: 8)
        var duplicated = 0, reordered = 0, corrupted = 0
        for decision in decisions {
            guard case let .carried(carried) = decision else { continue }
            if carried.duplicateArrival != nil { duplicated += 1 }
            if carried.reordered { reordered += 1 }
            if carried.corrupted {
                corrupted += 1
                #expect((1...3).contains(carried.flippedBits.count))
                #expect(Set(carried.flippedBits).count == carried.flippedBits.count)
                #expect(carried.flippedBits.allSatisfy { (0..<1200 * 8).contains($0) })
            }
        }
        let n = Double(decisions.count)
        print("duplicated \(Double(duplicated) / n), reordered \(Double(reordered) / n), corrupted \(Double(corrupted) / n)")
        #expect(abs(Double(duplicated) / n - 0.1) < 0.005)
        #expect(abs(Double(reordered) / n - 0.2) < 0.005)
        #expect(abs(Double(corrupted) / n - 0.05) < 0.005)
    }

    @Test func rateLimitSerializesAndTailDrops() {
        // 1000 B/s with room for 3 datagrams of 1000 B: a burst of 10 at t = 0 keeps 3.
        let options = LinkOptions(delay: .zero, bandwidth: 1000, queueCapacity: 3000)
        var model = ImpairmentModel(options: options, generator: SeededGenerator(seed: 1))
        var arrivals: [Timestamp] = []
        var queueDrops = 0
        for _ in 0..<10 {
            switch model.decide(size: 1000, at: .zero) {
            case let .carried(carried): arrivals.append(carried.arrival)
            case .dropped(.queueFull): queueDrops += 1
            case let .dropped(other): Issue.record("unexpected drop \(other)")
            }
        }
        #expect(arrivals == [1, 2, 3].map { Timestamp.zero + .seconds($0) })
        #expect(queueDrops == 7)
        #expect(model.queuedBytes(at: .zero) == 3000)
        #expect(model.queuedBytes(at: Timestamp.zero + .milliseconds(1500)) == 2000)
    }
}
