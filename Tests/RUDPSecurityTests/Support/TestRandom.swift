import RUDPCore

/// The tests' generator: `RUDPCore.SeededGenerator` (the package's one seeded generator) with
/// the draws the security tests need. A failing randomized test prints its seed.
struct TestRandom: RandomNumberGenerator {
    private var base: SeededGenerator

    init(seed: UInt64) {
        base = SeededGenerator(seed: seed)
    }

    mutating func next() -> UInt64 { base.next() }

    /// A uniform integer in `0 ..< bound` (`bound` > 0).
    mutating func below(_ bound: UInt64) -> UInt64 { UInt64.random(in: 0..<bound, using: &self) }

    /// True with probability `percent` / 100.
    mutating func chance(_ percent: UInt64) -> Bool { below(100) < percent }

    /// `count` random bytes.
    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &self) } }
}
