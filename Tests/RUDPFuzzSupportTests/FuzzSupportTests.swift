import RUDPCore
import RUDPFuzzSupport
import Testing

/// The building blocks of the fuzz checks, and evidence that the checks can fail.
@Suite("Fuzz support")
struct FuzzSupportTests {
    @Test("a fuzz input reads zeros past its end")
    func inputZeroFill() {
        var input = FuzzInput([0x12, 0x34, 0x56])
        #expect(input.readUInt16() == 0x1234)
        #expect(input.readUInt16() == 0x5600)
        #expect(input.isExhausted)
        #expect(input.readBytes(4) == [])
        #expect(input.readUInt64() == 0)
    }

    @Test("tagged payloads carry their counter; short ones do not")
    func payloads() {
        let long = EngineFuzzPayload.make(counter: 0x0102_0304_0506_0708, size: 100)
        #expect(long.count == 100)
        #expect(EngineFuzzPayload.counter(of: long) == 0x0102_0304_0506_0708)
        #expect(EngineFuzzPayload.make(counter: 9, size: 100) != EngineFuzzPayload.make(counter: 10, size: 100))
        #expect(EngineFuzzPayload.counter(of: EngineFuzzPayload.make(counter: 5, size: 7)) == nil)
        #expect(EngineFuzzPayload.make(counter: 5, size: 0) == [])
    }

    @Test("the wire check rejects nothing the codec handles correctly, including junk")
    func wireJunk() {
        var rng = SeededGenerator(seed: 11)
        for length in 0..<200 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            #expect(WireFuzzer.violation(in: bytes) == nil, "length \(length), seed 11")
        }
    }

    @Test("random engine programs keep every invariant")
    func randomEnginePrograms() {
        let seed: UInt64 = 0x5EED
        var rng = SeededGenerator(seed: seed)
        for round in 0..<60 {
            let length = Int.random(in: 3..<600, using: &rng)
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let violation = EngineFuzzer.violation(in: bytes)
            #expect(violation == nil, "seed \(seed) round \(round): \(violation.map(String.init(describing:)) ?? "")")
        }
    }

    @Test("the engine seed programs reach the server's RETRY, cookie checks, eviction and refusals", arguments: [false, true])
    func admissionPaths(secure: Bool) throws {
        let datagrams = try FuzzSeeds.vectorDatagrams(in: FuzzReplayTests.vectors).map(\.bytes)
        var total = EndpointStatistics()
        for program in EngineFuzzer.seedPrograms(datagrams: datagrams, secure: secure) {
            let report = EngineFuzzer.run(program, secure: secure)
            #expect(report.violation == nil)
            total.retriesSent += report.server.retriesSent
            total.invalidCookies += report.server.invalidCookies
            total.halfOpenEvicted += report.server.halfOpenEvicted
            total.connectionsRefused += report.server.connectionsRefused
            total.refusalsAnswered += report.server.refusalsAnswered
        }
        #expect(
            total.retriesSent > 0 && total.halfOpenEvicted > 0 && total.connectionsRefused > 0 && total.refusalsAnswered > 0,
            "secure \(secure): \(total)")
        if !secure { #expect(total.invalidCookies > 0, "an expired plain cookie is reached") }
    }

    @Test(
        "the engine seed programs reach path validation: NAT rebindings, challenges, moves and forged PATH frames",
        arguments: [false, true])
    func pathValidationPaths(secure: Bool) throws {
        let datagrams = try FuzzSeeds.vectorDatagrams(in: FuzzReplayTests.vectors).map(\.bytes)
        var total = EndpointStatistics()
        var rebindings = 0, injected = 0
        for program in EngineFuzzer.seedPrograms(datagrams: datagrams, secure: secure) {
            let report = EngineFuzzer.run(program, secure: secure)
            #expect(report.violation == nil)
            total.pathValidationsStarted += report.server.pathValidationsStarted
            total.pathChallengesSent += report.server.pathChallengesSent
            total.pathMigrations += report.server.pathMigrations
            total.pathResponsesFromOtherAddresses += report.server.pathResponsesFromOtherAddresses
            rebindings += report.rebindings
            injected += report.pathFramesInjected
        }
        #expect(rebindings > 0 && injected > 0)
        #expect(total.pathValidationsStarted > 0 && total.pathChallengesSent > 0 && total.pathMigrations > 0, "secure \(secure): \(total)")
        if !secure { #expect(total.pathResponsesFromOtherAddresses > 0, "an echoed challenge from a third address is reached") }
    }

    @Test("seed corpora are made from the vectors")
    func seedHex() throws {
        let vectors = FuzzReplayTests.vectors
        let datagrams = try FuzzSeeds.vectorDatagrams(in: vectors)
        #expect(datagrams.contains { $0.name == "data-data-ping" && $0.bytes.count == 20 })
    }
}
