import Foundation
import RUDPCore
import RUDPExperiments
import RUDPSecurity
import RUDPSimulation
import Testing

/// The randomized simulation suite in secure mode, and under a simulated attacker.
///
/// `RUDP_SECURE_SIMULATION_SEEDS` (default 320) random scenarios run with security on (modes
/// alternate); `RUDP_ATTACK_SIMULATION_SEEDS` (default 200) run with security and a
/// ``NetworkAttacker`` that records, replays, injects random and forged datagrams and tampers,
/// all seeded. Each is checked like the plain suite (exactly-once intact delivery, ordering, no
/// invented messages, convergence, clean close). Replay one failing seed with
/// `RUDP_SIMULATION_FIRST_SEED=N RUDP_SECURE_SIMULATION_SEEDS=1` (or `RUDP_ATTACK_SIMULATION_SEEDS=1`).
@Suite struct SecureSimulationTests {
    static let environment = ProcessInfo.processInfo.environment
    static let secureSeeds = Int(environment["RUDP_SECURE_SIMULATION_SEEDS"] ?? "") ?? 320
    static let attackSeeds = Int(environment["RUDP_ATTACK_SIMULATION_SEEDS"] ?? "") ?? 200
    static let firstSeed = UInt64(environment["RUDP_SIMULATION_FIRST_SEED"] ?? "") ?? 1
    static let chunks = 8

    static func seeds(chunk: Int, of count: Int) -> Range<Int> {
        let perChunk = (count + chunks - 1) / chunks
        let lower = min(count, chunk * perChunk)
        return lower..<min(count, lower + perChunk)
    }

    static func secureSetup(seed: UInt64) -> ExchangeScenario.Setup {
        var setup = ExchangeScenario.Setup.random(seed: seed)
        setup.security = seed % 2 == 0 ? .encrypted : .authenticated
        return setup
    }

    static func attackedSetup(seed: UInt64) -> ExchangeScenario.Setup {
        var setup = ExchangeScenario.Setup.random(seed: seed, maxLoss: 0.3)
        setup.security = seed % 2 == 0 ? .encrypted : .authenticated
        setup.attack = AttackOptions(seed: seed &* 0x9E37_79B9 &+ 1)
        return setup
    }

    @Test(arguments: 0..<chunks)
    func secureScenarios(chunk: Int) {
        var failures = 0
        for offset in Self.seeds(chunk: chunk, of: Self.secureSeeds) {
            let seed = Self.firstSeed + UInt64(offset)
            let outcome = ExchangeScenario.run(Self.secureSetup(seed: seed))
            if !outcome.violations.isEmpty {
                failures += 1
                Issue.record(
                    """
                    secure simulation seed \(seed) failed (replay: RUDP_SIMULATION_FIRST_SEED=\(seed) RUDP_SECURE_SIMULATION_SEEDS=1 swift test --filter SecureSimulationTests)
                    \(outcome.violations.prefix(5).joined(separator: "\n"))
                    \(outcome.reproduction)
                    """)
                if failures >= 3 { return }
            }
        }
    }

    @Test(arguments: 0..<chunks)
    func attackedScenarios(chunk: Int) {
        var failures = 0
        for offset in Self.seeds(chunk: chunk, of: Self.attackSeeds) {
            let seed = Self.firstSeed + UInt64(offset)
            let outcome = ExchangeScenario.run(Self.attackedSetup(seed: seed))
            var problems = outcome.violations
            let attack = outcome.attackStatistics ?? AttackStatistics()
            if attack.injected == 0 { problems.append("the attacker injected nothing: \(attack)") }
            let dropped = Self.securityDrops(outcome)
            if dropped == 0 && attack.injected >= 20 {
                problems.append("no security drop was counted although the attacker injected \(attack.injected) datagrams")
            }
            if !problems.isEmpty {
                failures += 1
                Issue.record(
                    """
                    attacked simulation seed \(seed) failed (replay: RUDP_SIMULATION_FIRST_SEED=\(seed) RUDP_ATTACK_SIMULATION_SEEDS=1 swift test --filter SecureSimulationTests)
                    \(problems.prefix(5).joined(separator: "\n"))
                    attacker: \(attack)
                    \(outcome.reproduction)
                    """)
                if failures >= 3 { return }
            }
        }
    }

    /// Every security drop counter of both endpoints and connections, summed.
    static func securityDrops(_ outcome: ExchangeScenario.Outcome) -> Int {
        let c = outcome.clientStatistics, s = outcome.serverStatistics
        let ce = outcome.clientEndpointStatistics, se = outcome.serverEndpointStatistics
        return c.authenticationFailures + c.replayedPacketsDropped + c.unprotectedPacketsDropped
            + s.authenticationFailures + s.replayedPacketsDropped + s.unprotectedPacketsDropped
            + ce.handshakeAuthenticationFailures + se.handshakeAuthenticationFailures + se.invalidCookies + se.replayedHandshakes
    }

    /// An attacked, secure run is reproduced exactly by its seed.
    @Test func attackedRunsAreDeterministic() {
        let a = ExchangeScenario.run(Self.attackedSetup(seed: 41))
        let b = ExchangeScenario.run(Self.attackedSetup(seed: 41))
        #expect(a.violations.isEmpty, "\(a.violations.prefix(3)) \(a.reproduction)")
        #expect(a.traceDigest == b.traceDigest, "\(a.reproduction)")
        #expect(a.attackStatistics == b.attackStatistics)
        #expect((a.attackStatistics?.injected ?? 0) > 20)
    }

    /// The attacker is a real threat to a plain connection: the same attack without security
    /// breaks the checks (forged CLOSEs, tampered frames with recomputed checksums are accepted),
    /// which shows that the secure runs above pass because of the protection.
    @Test func theSameAttackBreaksAPlainConnection() {
        var broken = 0
        for seed: UInt64 in 1...6 {
            var setup = Self.attackedSetup(seed: seed)
            setup.security = nil
            if !ExchangeScenario.run(setup).violations.isEmpty { broken += 1 }
        }
        #expect(broken > 0, "a plain connection survived every attack: the attacker is too weak to test anything")
    }
}
