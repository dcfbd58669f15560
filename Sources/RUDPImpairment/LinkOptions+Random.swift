import RUDPCore

extension LinkOptions {
    /// Draws a whole, realistic set of link conditions from `generator`, so that one seed
    /// chooses every fault parameter of a run (as TigerBeetle's VOPR does).
    ///
    /// - delay 1 … 100 ms; jitter none (half the time) or up to half the delay;
    /// - loss in `0 ... maxLoss`; 40 % of the time part of it is bursty (Gilbert-Elliott, mean
    ///   burst 2 … 10 datagrams), chosen so that ``expectedLossRate`` stays at or below `maxLoss`;
    /// - sometimes duplication (≤ 5 %), reordering (≤ 10 %), corruption (≤ 2 %);
    /// - 30 % of the time a bandwidth limit of 32 KB/s … 8 MB/s with a 8 … 256 KB queue;
    /// - 20 % of the time 1 … 3 partitions of 0.1 … 5 s starting within `partitionHorizon`.
    ///
    /// Pass `maxLoss: 0` for a lossless (but still delayed, possibly reordered) network, e.g. the
    /// "healed" phase of a liveness test. The result is a pure function of the generator's
    /// state, so a seed always yields the same options.
    ///
    /// ```swift
    /// var rng = SeededGenerator(seed: seed)
    /// let options = LinkOptions.random(using: &rng, maxLoss: 0.2)
    /// ```
    public static func random(
        using generator: inout SeededGenerator,
        maxLoss: Double = 0.5,
        partitionHorizon: Duration = .seconds(10)
    ) -> LinkOptions {
        precondition((0...1).contains(maxLoss), "maxLoss must be in 0...1, got \(maxLoss)")
        var options = LinkOptions()
        let delayMicroseconds = 1_000 + generator.uniform(through: 99_000)
        options.delay = .microseconds(Int64(delayMicroseconds))
        if generator.chance(0.5) {
            options.jitter = .microseconds(Int64(generator.uniform(through: delayMicroseconds / 2)))
        }

        let totalLoss = maxLoss * generator.nextUnitDouble()
        if totalLoss > 0, generator.chance(0.4) {
            // Split the loss budget between a bursty and a uniform part, and pick the chain's
            // entry probability so that its stationary loss is exactly the bursty share.
            let burstShare = generator.uniform(in: 0.5...1.0)
            let badToGood = generator.uniform(in: 0.1...0.5)
            let lossInBad = generator.uniform(in: 0.5...1.0)
            let burstLoss = min(totalLoss * burstShare, lossInBad * 0.9)
            let badFraction = burstLoss / lossInBad
            let goodToBad = min(1, badFraction * badToGood / (1 - badFraction))
            options.burstLoss = GilbertElliott(
                goodToBad: goodToBad, badToGood: badToGood, lossInBad: lossInBad, lossInGood: 0)
            // 1 - (1 - burst)(1 - uniform) = total
            let actualBurst = options.burstLoss!.stationaryLossRate
            options.loss = max(0, min(1, 1 - (1 - totalLoss) / (1 - actualBurst)))
        } else {
            options.loss = totalLoss
        }

        if generator.chance(0.3) { options.duplication = generator.uniform(in: 0...0.05) }
        if generator.chance(0.3) { options.reordering = generator.uniform(in: 0...0.1) }
        if generator.chance(0.2) { options.corruption = generator.uniform(in: 0...0.02) }
        if generator.chance(0.3) {
            options.bandwidth = 32_000 + Int(generator.uniform(through: 8_000_000 - 32_000))
            options.queueCapacity = 8 * 1024 + Int(generator.uniform(through: 248 * 1024))
        }
        if generator.chance(0.2) {
            let horizon = partitionHorizon.nanosecondsClamped
            let count = 1 + Int(generator.uniform(through: 2))
            var windows: [Range<Timestamp>] = []
            for _ in 0..<count {
                let start = Timestamp(nanoseconds: generator.uniform(through: horizon))
                let length = 100_000_000 + generator.uniform(through: 4_900_000_000)
                windows.append(start..<start.adding(nanoseconds: length))
            }
            options.partitions = windows.sorted { $0.lowerBound < $1.lowerBound }
        }
        return options
    }
}
