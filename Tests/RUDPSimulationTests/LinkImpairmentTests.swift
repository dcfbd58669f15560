import RUDPCore
import RUDPImpairment
import RUDPSimulation
import Testing

@Suite("Link impairments")
struct LinkImpairmentTests {
    @Test func cleanLinkDeliversEverythingInOrderWithTheConfiguredDelay() {
        let scenario = SenderSinkScenario(
            seed: 1, options: LinkOptions(delay: .milliseconds(10)), count: 200,
            interval: .milliseconds(1))
        scenario.simulator.run(until: ms(1_000))
        let arrivals = scenario.sink.arrivals
        #expect(arrivals.count == 200, "\(scenario.context)")
        for (index, arrival) in arrivals.enumerated() {
            #expect(arrival.sequence == index)
            #expect(arrival.time == scenario.sender.sendTimes[index] + .milliseconds(10))
            #expect(arrival.datagram == payload(index, size: 32))
            #expect(arrival.source == scenario.senderAddress)
        }
        let stats = scenario.statistics
        #expect(
            stats.sent == 200 && stats.delivered == 200 && stats.dropped == 0 && stats.inFlight == 0,
            "\(stats)")
        #expect(stats.bytesDelivered == 200 * 32)
        #expect(scenario.simulator.now == ms(1_000))
        #expect(scenario.simulator.livelockDeferrals == 0)
    }

    @Test func jitterAloneNeverReorders() {
        let options = LinkOptions(delay: .milliseconds(10), jitter: .milliseconds(30))
        let scenario = SenderSinkScenario(seed: 2, options: options, count: 2_000, interval: .milliseconds(1))
        scenario.simulator.run(until: ms(3_000))
        let arrivals = scenario.sink.arrivals
        #expect(arrivals.count == 2_000, "\(scenario.context)")
        #expect(arrivals.map(\.sequence) == Array(0..<2_000), "\(scenario.context)")
        var jittered = 0
        for arrival in arrivals {
            let sent = scenario.sender.sendTimes[arrival.sequence]
            #expect(
                arrival.time >= sent + .milliseconds(10) && arrival.time <= sent + .milliseconds(40),
                "\(scenario.context)")
            if arrival.time != sent + .milliseconds(10) { jittered += 1 }
        }
        #expect(jittered > 1_000, "\(scenario.context)")
    }

    @Test func uniformLossMatchesItsProbability() {
        let options = LinkOptions(delay: .milliseconds(5), loss: 0.1)
        let scenario = SenderSinkScenario(
            seed: 3, options: options, count: 20_000, interval: .milliseconds(1),
            batch: 10)
        scenario.simulator.run(until: ms(3_000))
        let stats = scenario.statistics
        let observed = 1 - Double(scenario.sink.arrivals.count) / 20_000
        #expect(abs(observed - 0.1) < 0.015, "observed loss \(observed); \(scenario.context)")
        #expect(stats.sent == 20_000 && stats.droppedByLoss == stats.sent - stats.delivered, "\(scenario.context)")
        #expect(stats.delivered == scenario.sink.arrivals.count)
    }

    @Test func gilbertElliottLossComesInBursts() {
        let model = LinkOptions.GilbertElliott(goodToBad: 0.01, badToGood: 0.25)
        let options = LinkOptions(delay: .milliseconds(5), burstLoss: model)
        let scenario = SenderSinkScenario(
            seed: 4, options: options, count: 20_000, interval: .milliseconds(1),
            batch: 10)
        scenario.simulator.run(until: ms(3_000))
        let received = scenario.sink.arrivals.map(\.sequence)
        #expect(received == received.sorted())

        // Runs of consecutive missing sequence numbers.
        var bursts: [Int] = []
        var expected = 0
        for sequence in received + [20_000] {
            if sequence > expected { bursts.append(sequence - expected) }
            expected = sequence + 1
        }
        let lost = bursts.reduce(0, +)
        let lossRate = Double(lost) / 20_000
        let meanBurst = Double(lost) / Double(bursts.count)
        let context = "loss \(lossRate), mean burst \(meanBurst), longest \(bursts.max() ?? 0); \(scenario.context)"
        #expect(abs(lossRate - model.stationaryLossRate) < 0.015, "\(context)")
        #expect(abs(meanBurst - model.meanBurstLength) < 1.0, "\(context)")
        #expect((bursts.max() ?? 0) >= 10, "\(context)")
        #expect(scenario.statistics.droppedByBurst == lost && scenario.statistics.droppedByLoss == 0, "\(context)")
    }

    @Test func duplicationDeliversExtraCopiesInOrder() {
        let options = LinkOptions(delay: .milliseconds(5), jitter: .milliseconds(2), duplication: 0.1)
        let scenario = SenderSinkScenario(
            seed: 5, options: options, count: 5_000, interval: .milliseconds(1),
            batch: 5)
        scenario.simulator.run(until: ms(2_000))
        let stats = scenario.statistics
        let sequences = scenario.sink.arrivals.map(\.sequence)
        #expect(abs(stats.duplicated - 500) < 110, "\(scenario.context)")
        #expect(sequences.count == 5_000 + stats.duplicated, "\(scenario.context)")
        #expect(sequences == sequences.sorted(), "duplicates are not reordered; \(scenario.context)")
        var copies = [Int](repeating: 0, count: 5_000)
        for sequence in sequences { copies[sequence] += 1 }
        #expect(copies.allSatisfy { $0 == 1 || $0 == 2 }, "\(scenario.context)")
        #expect(copies.filter { $0 == 2 }.count == stats.duplicated, "\(scenario.context)")
    }

    @Test func reorderedDatagramsAreOvertaken() {
        let options = LinkOptions(delay: .milliseconds(10), reordering: 0.05)
        let scenario = SenderSinkScenario(seed: 6, options: options, count: 5_000, interval: .milliseconds(1))
        scenario.simulator.run(until: ms(6_000))
        let stats = scenario.statistics
        let sequences = scenario.sink.arrivals.map(\.sequence)
        #expect(sequences.count == 5_000 && Set(sequences).count == 5_000, "\(scenario.context)")
        #expect(abs(stats.reordered - 250) < 80, "\(scenario.context)")
        // A datagram is late if one with a higher number arrived before it; only reordered
        // datagrams can be (no jitter), and all but those held back by less than the 1 ms send
        // interval are.
        var highest = -1
        var late = 0
        for sequence in sequences {
            if sequence < highest { late += 1 } else { highest = sequence }
        }
        #expect(
            late <= stats.reordered && Double(late) >= 0.8 * Double(stats.reordered),
            "late \(late); \(scenario.context)")
        // Held back by at most 2 × delay + 5 ms.
        for arrival in scenario.sink.arrivals {
            let sent = scenario.sender.sendTimes[arrival.sequence]
            #expect(arrival.time >= sent + .milliseconds(10) && arrival.time <= sent + .milliseconds(35))
        }
    }

    @Test func corruptionFlipsOneToThreeBits() {
        let options = LinkOptions(delay: .milliseconds(5), corruption: 0.2)
        let scenario = SenderSinkScenario(
            seed: 7, options: options, count: 2_000, interval: .milliseconds(1),
            size: 100)
        scenario.simulator.run(until: ms(3_000))
        let arrivals = scenario.sink.arrivals
        #expect(arrivals.count == 2_000, "\(scenario.context)")
        var flipsSeen: [Int: Int] = [:]
        var corrupted = 0
        // Nothing is lost or reordered, so the i-th arrival is datagram i even if its number was hit.
        for (index, arrival) in arrivals.enumerated() {
            let original = payload(index, size: 100)
            let flipped = zip(original, arrival.datagram).reduce(0) { $0 + ($1.0 ^ $1.1).nonzeroBitCount }
            #expect(arrival.datagram.count == 100)
            #expect((0...3).contains(flipped), "\(flipped) bits flipped; \(scenario.context)")
            if flipped > 0 { corrupted += 1 }
            flipsSeen[flipped, default: 0] += 1
        }
        #expect(corrupted == scenario.statistics.corrupted, "\(scenario.context)")
        #expect(abs(corrupted - 400) < 100, "\(scenario.context)")
        #expect(flipsSeen[1] != nil && flipsSeen[2] != nil && flipsSeen[3] != nil, "\(flipsSeen)")
    }

    @Test func bandwidthLimitSetsThroughputAndTailDropsWhenTheQueueIsFull() {
        // 1000-byte datagrams offered at 500 KB/s into a 100 KB/s bottleneck with a 10-datagram queue.
        let options = LinkOptions(delay: .milliseconds(10), bandwidth: 100_000, queueCapacity: 10_000)
        let scenario = SenderSinkScenario(
            seed: 8, options: options, count: 1_000, interval: .milliseconds(2),
            size: 1_000)
        scenario.simulator.run(until: ms(3_000))
        let stats = scenario.statistics
        let arrivals = scenario.sink.arrivals
        // 10 ms of serialization each: ~200 in the 2 s of sending, plus the 10 left in the queue.
        #expect((205...212).contains(arrivals.count), "\(scenario.context)")
        #expect(
            stats.droppedByQueue == 1_000 - arrivals.count && stats.dropped == stats.droppedByQueue,
            "\(scenario.context)")
        let sequences = arrivals.map(\.sequence)
        #expect(sequences == sequences.sorted(), "FIFO; \(scenario.context)")
        let gaps = zip(arrivals.dropFirst(), arrivals).map { $0.time - $1.time }
        #expect(gaps.allSatisfy { $0 >= .milliseconds(10) }, "\(scenario.context)")
        #expect(gaps.filter { $0 == .milliseconds(10) }.count >= 200, "\(scenario.context)")
        let during = arrivals.filter { $0.time <= ms(2_000) }.count
        #expect((198...202).contains(during), "throughput \(during) per 2 s; \(scenario.context)")
        // A full queue means a queueing delay of about 10 × 10 ms.
        let last = arrivals.last!
        #expect(last.time - scenario.sender.sendTimes[last.sequence] >= .milliseconds(100), "\(scenario.context)")
    }

    @Test func bandwidthBelowTheLimitOnlyAddsSerializationDelay() {
        let options = LinkOptions(delay: .milliseconds(10), bandwidth: 100_000, queueCapacity: 1_000)
        let scenario = SenderSinkScenario(
            seed: 9, options: options, count: 100, interval: .milliseconds(20),
            size: 1_000)
        scenario.simulator.run(until: ms(3_000))
        #expect(scenario.sink.arrivals.count == 100 && scenario.statistics.dropped == 0, "\(scenario.context)")
        for arrival in scenario.sink.arrivals {
            #expect(arrival.time == scenario.sender.sendTimes[arrival.sequence] + .milliseconds(20))
        }
    }

    @Test func partitionDropsExactlyWithinItsWindowAndHeals() {
        let options = LinkOptions(delay: .milliseconds(15), partitions: [ms(1_000)..<ms(2_000)])
        let scenario = SenderSinkScenario(
            seed: 10, options: options, count: 300, interval: .milliseconds(10),
            recordTrace: true)
        scenario.simulator.run(until: ms(4_000))
        let delivered = scenario.sink.arrivals.map(\.sequence)
        let expected = (0..<300).filter { !(ms(1_000)..<ms(2_000)).contains(scenario.sender.sendTimes[$0]) }
        #expect(delivered == expected, "\(scenario.context)")
        #expect(expected.count == 200)
        #expect(scenario.statistics.droppedByPartition == 100, "\(scenario.context)")
        let partitionDrops = scenario.simulator.trace.filter {
            if case .dropped(_, _, _, _, .partition) = $0.event { return true } else { return false }
        }
        #expect(partitionDrops.count == 100)
        #expect(partitionDrops.allSatisfy { (ms(1_000)..<ms(2_000)).contains($0.time) })
    }
}
