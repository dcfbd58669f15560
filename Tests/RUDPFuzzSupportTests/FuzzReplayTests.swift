import Foundation
import RUDPCore
import RUDPFuzzSupport
import Testing

/// Replays, without the fuzzer, every saved crash input (`Fuzz/FailCases/<target>/`) and every
/// seed input (made from `Specs/vectors`) through the same checks the fuzz targets run.
@Suite("Fuzz replay")
struct FuzzReplayTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let vectors = root.appendingPathComponent("Specs/vectors").path

    /// The saved crash inputs of a target, by file name.
    static func failCases(_ target: String) -> [(name: String, bytes: [UInt8])] {
        let directory = root.appendingPathComponent("Fuzz/FailCases/\(target)")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { !$0.hasPrefix(".") && $0 != "README.md" }.sorted().compactMap { name in
            guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path) else { return nil }
            return (name, [UInt8](data))
        }
    }

    @Test("wire fail cases pass the wire check")
    func wireFailCases() {
        for failCase in Self.failCases("wire") {
            let violation = WireFuzzer.violation(in: failCase.bytes)
            #expect(violation == nil, "Fuzz/FailCases/wire/\(failCase.name): \(violation ?? "")")
        }
    }

    @Test("engine fail cases pass the engine check")
    func engineFailCases() {
        for failCase in Self.failCases("engine") {
            let violation = EngineFuzzer.violation(in: failCase.bytes)
            #expect(violation == nil, "Fuzz/FailCases/engine/\(failCase.name): \(violation.map(String.init(describing:)) ?? "")")
        }
    }

    /// The first finding of the path-validation fuzzing was the harness's: a forger echoing the
    /// server's challenge from the address it was sent to validates that address (plain mode, as
    /// specified), after which the server may send it more than 3x what it received from it.
    @Test("an echoed challenge from its own address moves the connection there (plain), and the harness allows it")
    func echoedChallengeFailCase() throws {
        let failCase = try #require(Self.failCases("engine").first { $0.name == "challenge-echoed-from-its-own-address" })
        let report = EngineFuzzer.run(failCase.bytes)
        #expect(report.violation == nil)
        #expect(report.server.pathMigrations >= 1 && report.pathFramesInjected > 0 && report.tainted, "\(report)")
    }

    @Test("secure engine fail cases pass the engine check with packet security")
    func secureEngineFailCases() {
        for failCase in Self.failCases("secureEngine") {
            let violation = EngineFuzzer.violation(in: failCase.bytes, secure: true)
            #expect(violation == nil, "Fuzz/FailCases/secureEngine/\(failCase.name): \(violation.map(String.init(describing:)) ?? "")")
        }
    }

    @Test("security fail cases pass the security check")
    func securityFailCases() {
        for failCase in Self.failCases("security") {
            let violation = SecurityFuzzer.violation(in: failCase.bytes)
            #expect(violation == nil, "Fuzz/FailCases/security/\(failCase.name): \(violation.map(String.init(describing:)) ?? "")")
        }
    }

    @Test("every vector passes the wire check, as it is and sealed")
    func wireSeeds() throws {
        let seeds = try FuzzSeeds.seeds(target: "wire", vectorsDirectory: Self.vectors)
        #expect(seeds.count >= 85)
        for seed in seeds {
            let violation = WireFuzzer.violation(in: seed.bytes)
            #expect(violation == nil, "\(seed.name): \(violation ?? "")")
        }
    }

    @Test("every engine seed program passes the engine check")
    func engineSeeds() throws {
        let seeds = try FuzzSeeds.seeds(target: "engine", vectorsDirectory: Self.vectors)
        #expect(seeds.count > 17)
        for seed in seeds {
            let report = EngineFuzzer.run(seed.bytes)
            #expect(report.violation == nil, "\(seed.name): \(report.violation.map(String.init(describing:)) ?? "")")
        }
    }

    @Test("every security seed program passes the security check and together they reach every outcome")
    func securitySeeds() throws {
        let seeds = try FuzzSeeds.seeds(target: "security", vectorsDirectory: Self.vectors)
        #expect(seeds.count >= 40)
        var total = SecurityFuzzReport()
        for seed in seeds {
            let report = SecurityFuzzer.run(seed.bytes)
            #expect(report.violation == nil, "\(seed.name): \(report.violation.map(String.init(describing:)) ?? "")")
            total.operations += report.operations
            total.opened += report.opened
            total.sealed += report.sealed
            total.cookiesAccepted += report.cookiesAccepted
            total.tagsAccepted += report.tagsAccepted
            total.refusals.merge(report.refusals, uniquingKeysWith: +)
        }
        #expect(total.opened > 100 && total.sealed > total.opened / 2, "\(total)")
        #expect(total.cookiesAccepted > 10 && total.tagsAccepted > 10, "\(total)")
        let outcomes = [
            "oversize", "truncated", "invalidPacketNumber", "replayed", "tooOld", "authenticationFailed",
            "checksumMismatch", "keyExhausted", "packetNumberNotIncreasing", "invalidHeader",
            "invalidCookie", "expiredCookie",
        ]
        for outcome in outcomes {
            #expect(total.refusals[outcome, default: 0] > 0, "no seed program reaches \(outcome): \(total.refusals)")
        }
    }

    @Test("every engine seed program passes the engine check with packet security")
    func secureEngineSeeds() throws {
        let seeds = try FuzzSeeds.seeds(target: "secureEngine", vectorsDirectory: Self.vectors)
        for seed in seeds {
            let report = EngineFuzzer.run(seed.bytes, secure: true)
            #expect(report.violation == nil, "\(seed.name): \(report.violation.map(String.init(describing:)) ?? "")")
            #expect(!report.tainted)
        }
    }

    @Test("with packet security the exchange seeds move every message, in both modes")
    func secureExchangeSeedsAreNotVacuous() throws {
        let programs = EngineFuzzer.seedPrograms(datagrams: [], secure: true)
        for program in programs.prefix(2) {  // flags 0 without loss (even seed: encrypted), with loss (odd seed: authenticated)
            let report = EngineFuzzer.run(program, secure: true)
            #expect(report.violation == nil, "\(report)")
            #expect(report.messagesSent == 13, "\(report)")
            #expect(report.connectionsEstablished == 4, "\(report)")
        }
        let clean = EngineFuzzer.run(programs[0], secure: true)
        #expect(clean.messagesDelivered == 13, "\(clean)")
    }

    @Test("the exchange seeds really move messages both ways and end the connections")
    func exchangeSeedsAreNotVacuous() throws {
        let programs = EngineFuzzer.seedPrograms(datagrams: [])
        let report = EngineFuzzer.run(programs[0])  // flags 0, no loss
        #expect(report.violation == nil)
        // 12 messages (3 modes, 2 sizes, 2 sides) on the first connection, 1 on the second.
        #expect(report.messagesSent == 13, "\(report)")
        #expect(report.messagesDelivered == 13, "\(report)")
        #expect(report.messagesAcknowledged >= 8, "\(report)")
        #expect(report.connectionsEstablished == 4, "\(report)")
        #expect(report.connectionsClosed >= 2, "\(report)")
        #expect(!report.tainted)
    }
}
