import RUDPCore
import RUDPExperiments
import Testing

/// `rudp simulate`'s numbers against what theory says for simple cases.
@Suite("rudp simulate: analytic expectations")
struct SimulateAnalyticTests {
    private func setup(_ options: [(ExperimentParameter, String)]) throws -> ExperimentSetup {
        var setup = ExperimentSetup()
        for (parameter, value) in options { try parameter.apply(value, to: &setup) }
        return setup
    }

    @Test(arguments: ["2mbit", "10mbit"])
    func goodputAtZeroLossIsCloseToTheLinkRate(rate: String) throws {
        let setup = try setup([(.rate, rate), (.delay, "20ms"), (.duration, "8s"), (.size, "1000"), (.seed, "5")])
        let result = try ExperimentRunner.run(setup)
        let capacity = try #require(result.capacity)
        let headerBound = try #require(result.headerBound)
        let context = "seed \(setup.seed), \(setup.settings), goodput \(result.goodput) B/s, header bound \(headerBound) B/s"
        #expect(result.completed, "\(context)")
        #expect(capacity == Double(setup.link.bandwidth!), "\(context)")
        // Goodput can never beat the payload share of the link, and should come within 10 % of it.
        #expect(result.goodput <= headerBound * 1.001, "\(context)")
        #expect(result.goodput >= headerBound * 0.9, "\(context)")
        #expect(result.goodput >= capacity * 0.85, "\(context)")
        #expect(result.forwardLink.droppedByLoss == 0 && result.latencyP50 != nil, "\(context)")
    }

    /// Under uniform loss p on the data direction (clean return path, a queue that never
    /// overflows), every fragment needs on average 1 / (1 − p) transmissions, so
    /// retransmissions are p / (1 − p) of the messages sent.
    @Test(arguments: [0.02, 0.05, 0.1, 0.2])
    func retransmissionsFollowUniformLoss(loss: Double) throws {
        let setup = try setup([
            (.loss, "\(loss)"), (.reverse, "clean"), (.rate, "unlimited"), (.delay, "10ms"),
            (.messages, "4000"), (.duration, "unlimited"), (.size, "1000"), (.seed, "17"),
        ])
        let result = try ExperimentRunner.run(setup)
        let expected = loss / (1 - loss)
        let context =
            "loss \(loss), seed \(setup.seed): ratio \(result.retransmissionRatio), expected \(expected), "
            + "\(result.retransmittedFragments) retransmissions of \(result.messagesAccepted) messages, "
            + "spurious \(result.duplicateFragments), link \(result.forwardLink)"
        #expect(result.completed && result.messagesDelivered == 4000, "\(context)")
        #expect(result.forwardLink.droppedByQueue == 0, "\(context)")
        // Loss draws are binomial: with ≥ 80 expected retransmissions, ±25 % is several standard deviations.
        #expect(abs(result.retransmissionRatio - expected) <= expected * 0.25, "\(context)")
        // Lost datagrams are the ones retransmitted: the link's drop count agrees too.
        let dropped = Double(result.forwardLink.droppedByLoss)
        #expect(abs(Double(result.retransmittedFragments - result.duplicateFragments) - dropped) <= dropped * 0.15 + 5, "\(context)")
    }

    /// At a fixed message rate well under the link rate, latency is the one-way delay plus one
    /// message's serialization, and every offered message arrives.
    @Test func latencyAtLowLoadIsThePropagationDelay() throws {
        let setup = try setup([
            (.rate, "10mbit"), (.delay, "30ms"), (.messageRate, "100"), (.duration, "5s"), (.size, "1000"), (.seed, "9"),
        ])
        let result = try ExperimentRunner.run(setup)
        let context = "seed \(setup.seed): p50 \(result.latencyP50 ?? 0) p99 \(result.latencyP99 ?? 0) max \(result.latencyMax ?? 0)"
        #expect(result.messagesOffered == 500 && result.messagesDelivered == 500, "\(context)")
        // 30 ms + 1040 bytes at 1.25 MB/s ≈ 30.8 ms.
        let p50 = Double(try #require(result.latencyP50)) / 1e6
        let maximum = Double(try #require(result.latencyMax)) / 1e6
        #expect(p50 >= 30 && p50 <= 32, "\(context)")
        #expect(maximum <= 33, "\(context)")
        // Offered 100 × 1000 B/s = 0.8 Mbit/s.
        #expect(abs(result.goodput - 100_000) <= 2_000, "\(context)")
    }

    @Test func aPartitionStopsDeliveryAndTheTransferRecovers() throws {
        var setup = try setup([(.rate, "10mbit"), (.delay, "20ms"), (.duration, "6s"), (.maximumRTO, "500ms"), (.seed, "4")])
        setup.timeline = [ConditionChange(at: .seconds(2), kind: .partition(.seconds(1)))]
        let result = try ExperimentRunner.run(setup, sampleInterval: .milliseconds(250))
        let perInterval = result.deliveredPerInterval
        let context = "seed \(setup.seed): \(perInterval)"
        #expect(result.completed, "\(context)")
        #expect(result.forwardLink.droppedByPartition > 0, "\(context)")
        // 2.25 s ..< 3 s: nothing sent during the partition can arrive (what was in flight at 2 s
        // is delivered by 2 s + 20 ms + the queue's 52 ms).
        #expect(perInterval[9] == 0 && perInterval[10] == 0 && perInterval[11] == 0, "\(context)")
        // The bound is zero during the partition and full outside it.
        #expect(result.boundPerInterval[9] == 0 && result.boundPerInterval[4] == 1_250_000, "\(context)")
        // Recovered: the last second runs at more than 80 % of the link.
        let lastSecond = perInterval.suffix(from: 20).prefix(4).reduce(0, +)
        #expect(Double(lastSecond) >= 0.8 * 1_250_000, "\(context)")
    }

    @Test func goodputFollowsABandwidthDrop() throws {
        var setup = try setup([(.rate, "8mbit"), (.delay, "10ms"), (.duration, "10s"), (.seed, "2")])
        setup.timeline = [ConditionChange(at: .seconds(5), kind: .set([(.rate, "2mbit")]))]
        let result = try ExperimentRunner.run(setup)
        let perInterval = result.deliveredPerInterval
        let context = "seed \(setup.seed): \(perInterval)"
        #expect(perInterval.count >= 10, "\(context)")
        // Seconds 2-4 near 1 MB/s, seconds 6-9 near 250 kB/s, never above the link.
        for second in 2...4 { #expect(perInterval[second] > 850_000 && perInterval[second] <= 1_000_000, "\(context)") }
        for second in 6...9 { #expect(perInterval[second] > 200_000 && perInterval[second] <= 250_000, "\(context)") }
        let capacity = try #require(result.capacity)
        #expect(abs(capacity - 625_000) < 10_000, "time-averaged capacity \(capacity), \(context)")
    }

    /// Unreliable messages are sent once: about (1 − p) of them arrive and none is retransmitted.
    @Test func unreliableDeliveryFollowsTheLossRate() throws {
        let setup = try setup([
            (.mode, "unreliable"), (.loss, "0.1"), (.reverse, "clean"), (.rate, "unlimited"),
            (.messages, "3000"), (.duration, "unlimited"), (.size, "500"), (.seed, "23"),
        ])
        let result = try ExperimentRunner.run(setup)
        let fraction = Double(result.messagesDelivered) / 3000
        let context = "seed \(setup.seed): delivered \(result.messagesDelivered) of 3000, link \(result.forwardLink)"
        #expect(result.completed, "\(context)")
        #expect(result.retransmittedFragments == 0, "\(context)")
        // Binomial: σ of the fraction is about 0.0055; allow ±0.03.
        #expect(abs(fraction - 0.9) <= 0.03, "\(context)")
    }
}
