import RUDPCore
import RUDPImpairment
import Testing

/// The one vocabulary of `rudp proxy` and `rudp simulate` (tc-netem's names and units): what it
/// reads, what it refuses and why, and that every printed value reads back.
@Suite struct VocabularyTests {
    @Test func quantitiesParseWithUnits() throws {
        #expect(try Quantity.rate("10mbit", for: "rate") == 1_250_000)
        #expect(try Quantity.rate("100kbit", for: "rate") == 12_500)
        #expect(try Quantity.rate("1gbit", for: "rate") == 125_000_000)
        #expect(try Quantity.rate("1Gbit", for: "rate") == 125_000_000)
        #expect(try Quantity.rate("10Mbit/s", for: "rate") == 1_250_000)
        #expect(try Quantity.rate("2MB/s", for: "rate") == 2_000_000)
        #expect(try Quantity.rate("off", for: "rate") == nil)
        #expect(try Quantity.rate("unlimited", for: "rate") == nil)
        #expect(try Quantity.duration("250ms", for: "d") == .milliseconds(250))
        #expect(try Quantity.duration("500usec", for: "d") == .microseconds(500))
        #expect(try Quantity.duration("1.5s", for: "d") == .milliseconds(1500))
        #expect(try Quantity.duration("2min", for: "d") == .seconds(120))
        #expect(try Quantity.duration("0", for: "d") == .zero)
        #expect(try Quantity.bytes("64KiB", for: "b", range: 0...1 << 30) == 65_536)
        #expect(try Quantity.bytes("1MB", for: "b", range: 0...1 << 30) == 1_000_000)
        #expect(try Quantity.probability("5%", for: "p") == 0.05)
        #expect(try Quantity.probability("0.05", for: "p") == 0.05)
        #expect(try Quantity.count("10k", for: "n", range: 1...1_000_000) == 10_000)
        #expect(Quantity.formatRate(1_250_000) == "10mbit")
        #expect(Quantity.fixed(2.345, digits: 2) == "2.35" || Quantity.fixed(2.345, digits: 2) == "2.34")
        #expect(Quantity.fixed(-0.04, digits: 1) == "0.0")
    }

    @Test func aBareTimeOrRateIsRefusedWithTheUnitSuggested() {
        #expect(
            throws: ImpairmentError.invalidValue(
                parameter: "delay", value: "20",
                reason: "a time needs a unit: 20ms, 20us or 20s")
        ) {
            try Quantity.duration("20", for: "delay")
        }
        #expect(
            throws: ImpairmentError.invalidValue(
                parameter: "rate", value: "10",
                reason: "a rate needs a unit: 10kbit, 10mbit or 10MB/s")
        ) {
            try Quantity.rate("10", for: "rate")
        }
    }

    @Test(arguments: ["10mbps", "500kbps", "1Gbps", "10", "fast", "-5mbit", "125KB", "nan", "1e300bit"])
    func badRatesAreRefused(text: String) {
        #expect(throws: ImpairmentError.self, "\(text)") { try Quantity.rate(text, for: "rate") }
    }

    @Test func theBurstModelHasNetemsGemodelMeaning() throws {
        let model = try #require(try Quantity.burst("1%,30%", for: "burst"))
        #expect(model == LinkOptions.GilbertElliott(goodToBad: 0.01, badToGood: 0.3, lossInBad: 1, lossInGood: 0))
        // netem's own spelling, with 1-h and 1-k.
        #expect(
            try Quantity.burst("gemodel 1% 30% 80% 0.5%", for: "burst")
                == LinkOptions.GilbertElliott(goodToBad: 0.01, badToGood: 0.3, lossInBad: 0.8, lossInGood: 0.005))
        #expect(
            try Quantity.burst("0.01,0.3,0.8", for: "burst")
                == LinkOptions.GilbertElliott(goodToBad: 0.01, badToGood: 0.3, lossInBad: 0.8, lossInGood: 0))
        #expect(try Quantity.burst("off", for: "burst") == nil)
        // The older LOSS:LENGTH: 5% loss in bursts of 4 datagrams on average.
        let old = try #require(try Quantity.burst("5%:4", for: "burst"))
        #expect(abs(old.stationaryLossRate - 0.05) < 1e-12 && old.meanBurstLength == 4)
        for bad in ["1%", "1%,30%,1,1,1", "2,0.3", "1%,x"] {
            #expect(throws: ImpairmentError.self, "\(bad)") { try Quantity.burst(bad, for: "burst") }
        }
    }

    @Test func everyPrintedValueReadsBack() throws {
        var rng = SeededGenerator(seed: 16)
        for _ in 0..<1_000 {
            let options = LinkOptions.random(using: &rng)
            let time = ImpairmentTime(options.delay)
            #expect(try ImpairmentTime(parsing: time.description, for: "delay") == time, "\(time)")
            let rate = ImpairmentRate(bytesPerSecond: options.bandwidth)
            #expect(try ImpairmentRate(parsing: rate.description, for: "rate") == rate, "\(rate)")
            let loss = ImpairmentProbability(options.loss)
            #expect(try ImpairmentProbability(parsing: loss.description, for: "loss") == loss, "\(loss)")
            let size = ImpairmentSize(bytes: options.queueCapacity)
            #expect(try ImpairmentSize(parsing: size.description, for: "queue") == size, "\(size)")
            let burst = ImpairmentBurst(options.burstLoss)
            let again = try ImpairmentBurst(parsing: burst.description, for: "burst")
            if let model = burst.model, let read = again.model {
                #expect(
                    abs(model.goodToBad - read.goodToBad) < 1e-12 && abs(model.badToGood - read.badToGood) < 1e-12
                        && abs(model.lossInBad - read.lossInBad) < 1e-12, "\(burst)")
            } else {
                #expect(burst.model == nil && again.model == nil, "\(burst)")
            }
        }
    }

    @Test func errorsAreExtensibleStructsWithCodes() {
        let error = ImpairmentError.invalidValue(parameter: "loss", value: "2", reason: "too much")
        #expect(error.code == .invalidValue)
        #expect(error.description == "invalid value \"2\" for loss: too much")
    }
}
