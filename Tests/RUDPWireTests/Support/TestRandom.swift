import Foundation
import RUDPCore

/// The tests' generator: `RUDPCore.SeededGenerator` (xoshiro256** seeded through SplitMix64, the
/// package's one seeded generator) with the draws property tests need.
struct TestRandom: RandomNumberGenerator {
    private var base: SeededGenerator

    init(seed: UInt64) {
        base = SeededGenerator(seed: seed)
    }

    mutating func next() -> UInt64 { base.next() }

    /// A uniform integer in `0 ..< bound` (`bound` > 0).
    mutating func below(_ bound: Int) -> Int { Int.random(in: 0..<bound, using: &self) }

    /// True with probability `percent` / 100.
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

    mutating func byte() -> UInt8 { UInt8.random(in: .min ... .max, using: &self) }

    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in byte() } }

    /// One element of a non-empty array.
    mutating func pick<T>(_ options: [T]) -> T { options[below(options.count)] }
}

/// Runs `body` for `count` seeded cases and reports the seed of every failing case.
///
/// Case `i` uses the seed `base &+ i`, where `base` is `RUDP_WIRE_SEED` from the environment
/// (decimal or 0x-hex) or `defaultBase`. To replay a failure, set `RUDP_WIRE_SEED` to the seed
/// printed with it: that case then runs first.
struct SeededCases {
    static let environmentVariable = "RUDP_WIRE_SEED"

    let name: String
    let base: UInt64
    let count: Int

    init(_ name: String, count: Int, defaultBase: UInt64) {
        self.name = name
        self.count = count
        if let text = ProcessInfo.processInfo.environment[Self.environmentVariable], let v = Self.parseSeed(text) {
            base = v
        } else {
            base = defaultBase
        }
    }

    static func parseSeed(_ text: String) -> UInt64? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        if t.hasPrefix("0x") { return UInt64(t.dropFirst(2), radix: 16) }
        return UInt64(t)
    }

    static func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }

    /// Calls `body(rng, seed)` for every case. `body` returns a failure message, or nil when the
    /// case passes. Stops after `maxFailures` failures.
    func run(maxFailures: Int = 5, _ body: (inout TestRandom, UInt64) -> String?) -> [String] {
        // Printed up front so that even a trap (which ends the process) can be replayed.
        print("\(name): \(count) cases from base seed \(Self.hex(base)) (\(Self.environmentVariable) overrides)")
        var failures: [String] = []
        for i in 0..<count {
            let seed = base &+ UInt64(i)
            var rng = TestRandom(seed: seed)
            if let message = body(&rng, seed) {
                failures.append(
                    "\(name): case \(i) failed with seed \(Self.hex(seed)) "
                        + "(replay: \(Self.environmentVariable)=\(Self.hex(seed)) swift test --filter RUDPWireTests): \(message)")
                if failures.count >= maxFailures { break }
            }
        }
        return failures
    }
}
