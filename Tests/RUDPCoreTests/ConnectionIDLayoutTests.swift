import RUDPCore
import RUDPWire
import Testing

/// Connection IDs: worker index on top, 60 random bits below, drawn from the endpoint's randomness.
@Suite struct ConnectionIDLayoutTests {
    @Test("IDs carry the worker index in the top 4 bits and 60 non-zero random bits", arguments: [0, 5, 15] as [UInt8])
    func layout(worker: UInt8) {
        var configuration = EndpointConfiguration(acceptsConnections: true)
        configuration.workerIndex = worker
        configuration.maxConnectionsPerAddress = 10_000
        configuration.maxConnectionsPerPrefix = 10_000
        configuration.maxHalfOpenConnections = 10_000
        configuration.retryPolicy = .never
        let seed = UInt64(worker) + 11
        let client = Endpoint(configuration: EndpointConfiguration(), randomness: SeededGenerator(seed: seed))
        let server = Endpoint(configuration: configuration, randomness: SeededGenerator(seed: seed + 1))
        var seen = Set<ConnectionID>()
        for _ in 0..<2_000 {
            let id = client.connect(to: 1, at: .zero)
            #expect(id.workerIndex == 0 && id.randomBits != 0)
            #expect(seen.insert(id).inserted, "seed \(seed): duplicate ID \(id)")
        }
        while let (datagram, _) = client.pollTransmit(at: .zero) { server.handle(datagram: datagram, from: 2, at: .zero) }
        #expect(server.connectionCount == 2_000, "seed \(seed)")
        var topBitsOfLow = Set<UInt64>()
        for id in server.connectionIDs {
            #expect(id.workerIndex == worker, "seed \(seed): \(id)")
            #expect(id.randomBits != 0)
            topBitsOfLow.insert(id.randomBits >> 56)
        }
        // The random bits reach the top of the 60: all 16 values of bits 56...59 appear.
        #expect(topBitsOfLow.count == 16, "seed \(seed)")
    }

    @Test("the same seed gives the same IDs, another seed other IDs")
    func idsComeFromTheRandomnessPassedIn() {
        func ids(_ seed: UInt64) -> [ConnectionID] {
            let endpoint = Endpoint(configuration: EndpointConfiguration(), randomness: SeededGenerator(seed: seed))
            return (0..<8).map { _ in endpoint.connect(to: 1, at: .zero) }
        }
        #expect(ids(3) == ids(3))
        #expect(Set(ids(3)).isDisjoint(with: ids(4)))
        #expect(
            Endpoint(configuration: EndpointConfiguration(), randomness: SystemRandomNumberGenerator()).randomSourceName
                == "SystemRandomNumberGenerator")
    }

    @Test("a worker index beyond 15 is rejected by validation")
    func workerIndexIsValidated() {
        var configuration = EndpointConfiguration()
        configuration.workerIndex = 16
        #expect(configuration.validate() != nil)
        configuration.workerIndex = 15
        #expect(configuration.validate() == nil)
    }
}
