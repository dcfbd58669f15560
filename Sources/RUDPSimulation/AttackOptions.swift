/// How aggressively a ``NetworkAttacker`` interferes, per real datagram it sees. Everything is
/// drawn from ``seed``, so an attacked run is reproduced exactly.
///
/// ```swift
/// var setup = ExchangeScenario.Setup.random(seed: 7)
/// setup.security = .encrypted
/// setup.attack = AttackOptions(seed: 7)
/// let outcome = ExchangeScenario.run(setup)   // violations must stay empty
/// ```
public struct AttackOptions: Sendable, Hashable, CustomStringConvertible {
    /// Seed of the attacker's generator.
    public var seed: UInt64
    /// Probability of also delivering a recorded datagram (from either direction) again.
    public var replayProbability: Double = 0.2
    /// Probability of also delivering random bytes (sometimes behind a plausible header).
    public var randomInjectionProbability: Double = 0.1
    /// Probability of also delivering a forgery: a well-formed packet for the connection with a
    /// made-up tag, a fresh or far-future packet number, a plain CLOSE, a fake CONNECT, RETRY or ACCEPT.
    public var forgeryProbability: Double = 0.2
    /// Probability of also delivering a copy with one to three bits flipped.
    public var tamperProbability: Double = 0.1
    /// Probability that the original of a tampered datagram is withheld (a man in the middle
    /// replacing it rather than adding a copy).
    public var withholdTamperedOriginalProbability: Double = 0.5
    /// Probability that an injected datagram claims to come from another address than the real sender.
    public var spoofProbability: Double = 0.3
    /// Most datagrams remembered for replays.
    public var historyLimit: Int = 512

    /// Default probabilities with the given seed.
    public init(seed: UInt64) {
        self.seed = seed
    }

    /// A one-line summary of these values, as reports print them.
    public var description: String {
        "attack(seed \(seed), replay \(replayProbability), random \(randomInjectionProbability), forge \(forgeryProbability), tamper \(tamperProbability), withhold \(withholdTamperedOriginalProbability), spoof \(spoofProbability))"
    }
}

/// What a ``NetworkAttacker`` did.
public struct AttackStatistics: Sendable, Hashable, CustomStringConvertible {
    /// Real datagrams seen.
    public var observed = 0
    /// Recorded datagrams delivered again.
    public var replayed = 0
    /// Random datagrams injected.
    public var randomInjected = 0
    /// Forgeries injected.
    public var forged = 0
    /// Bit-flipped copies delivered.
    public var tampered = 0
    /// Originals withheld after tampering.
    public var withheld = 0
    /// Injected datagrams with a spoofed source address.
    public var spoofed = 0

    /// All counters zero.
    public init() {}

    /// Datagrams the attacker added.
    public var injected: Int { replayed + randomInjected + forged + tampered }

    /// A one-line summary of these values, as reports print them.
    public var description: String {
        "observed \(observed), replayed \(replayed), random \(randomInjected), forged \(forged), tampered \(tampered), withheld \(withheld), spoofed \(spoofed)"
    }
}
