extension LinkOptions {
    /// The Gilbert-Elliott model of bursty loss: a two-state Markov chain (good, bad) advanced
    /// once per datagram, with a loss probability in each state.
    ///
    /// A datagram is lost with the probability of the state the chain is in when it arrives;
    /// then the chain moves (good → bad with ``goodToBad``, bad → good with ``badToGood``).
    /// With the defaults (`lossInBad` 1, `lossInGood` 0) every datagram sent in the bad state is
    /// lost, so bursts of loss are geometric with mean length ``meanBurstLength`` = 1 / `badToGood`.
    ///
    /// ```swift
    /// // About 3.8 % loss, in bursts of 4 datagrams on average.
    /// let bursty = LinkOptions.GilbertElliott(goodToBad: 0.01, badToGood: 0.25)
    /// ```
    public struct GilbertElliott: Sendable, Equatable, CustomStringConvertible {
        /// Probability, per datagram, of moving from the good to the bad state.
        public var goodToBad: Double
        /// Probability, per datagram, of moving from the bad to the good state.
        public var badToGood: Double
        /// Loss probability while in the bad state.
        public var lossInBad: Double
        /// Loss probability while in the good state.
        public var lossInGood: Double

        /// Creates a Gilbert-Elliott model; by default the bad state loses everything and the
        /// good state nothing.
        public init(goodToBad: Double, badToGood: Double, lossInBad: Double = 1, lossInGood: Double = 0) {
            self.goodToBad = goodToBad
            self.badToGood = badToGood
            self.lossInBad = lossInBad
            self.lossInGood = lossInGood
        }

        /// The long-run fraction of datagrams seen in the bad state: `goodToBad / (goodToBad + badToGood)`.
        public var stationaryBadFraction: Double {
            let total = goodToBad + badToGood
            return total > 0 ? goodToBad / total : 0
        }

        /// The long-run loss rate of the model alone.
        public var stationaryLossRate: Double {
            let bad = stationaryBadFraction
            return bad * lossInBad + (1 - bad) * lossInGood
        }

        /// The mean number of consecutive datagrams in the bad state, `1 / badToGood` (infinite
        /// if the chain never leaves it).
        public var meanBurstLength: Double {
            badToGood > 0 ? 1 / badToGood : .infinity
        }

        /// The four parameters on one line.
        public var description: String {
            "GilbertElliott(goodToBad: \(goodToBad), badToGood: \(badToGood), "
                + "lossInBad: \(lossInBad), lossInGood: \(lossInGood))"
        }
    }
}
