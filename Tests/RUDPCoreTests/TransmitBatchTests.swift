import RUDPCore
import RUDPWire
import Testing

/// The endpoint's output into caller memory: single datagrams, GSO batches of equal segments,
/// and what the batches must not change (order, anti-amplification, stateless answers first).
@Suite struct TransmitBatchTests {
    /// A connected pair, the server's messages of `size` bytes queued but not yet polled.
    static func pairWithQueuedMessages(_ count: Int, size: Int) throws -> Pair {
        let pair = Pair()
        pair.connect()
        #expect(
            pair.drive { pair.serverConnection != nil && pair.clientEvents.contains { if case .connected = $0.1 { true } else { false } } })
        let id = try #require(pair.serverConnection)
        for i in 0..<count { try pair.server.send([UInt8](repeating: UInt8(truncatingIfNeeded: i), count: size), on: id) }
        return pair
    }

    @Test func aBatchHoldsEqualSegmentsForOnePeerAndTheSameBytesAsSinglePolls() throws {
        let batched = try Self.pairWithQueuedMessages(20, size: 3000)
        let single = try Self.pairWithQueuedMessages(20, size: 3000)
        var buffer = [UInt8](repeating: 0, count: 8 * batched.server.maximumDatagramSize)
        var fromBatches: [[UInt8]] = []
        var batches: [Transmit] = []
        while let transmit = buffer.withUnsafeMutableBytes({ batched.server.pollTransmit(into: $0, maxSegments: 8, at: batched.now) }) {
            batches.append(transmit)
            #expect(transmit.destination == Pair.clientAddress)
            #expect(transmit.segmentCount >= 1 && transmit.segmentCount <= 8)
            #expect(transmit.byteCount > (transmit.segmentCount - 1) * transmit.segmentSize)
            #expect(transmit.byteCount <= transmit.segmentCount * transmit.segmentSize)
            var offset = 0
            for index in 0..<transmit.segmentCount {
                let size = transmit.size(ofSegment: index)
                #expect(size == transmit.segmentSize || index == transmit.segmentCount - 1)
                fromBatches.append(Array(buffer[offset..<offset + size]))
                offset += size
            }
        }
        var fromSingles: [[UInt8]] = []
        while let (datagram, _) = single.server.pollTransmit(at: single.now) { fromSingles.append(datagram) }
        #expect(batches.contains { $0.segmentCount > 1 }, "\(batches)")
        #expect(fromBatches == fromSingles)
        #expect(fromBatches.allSatisfy { (try? Datagram.open($0)) != nil })
    }

    /// Takes everything `endpoint` has, in batches of up to 8 (or one by one), as datagrams.
    static func drain(_ endpoint: Endpoint, batched: Bool, at now: Timestamp) -> [[UInt8]] {
        var out: [[UInt8]] = []
        if !batched {
            while let (datagram, _) = endpoint.pollTransmit(at: now) { out.append(datagram) }
            return out
        }
        var buffer = [UInt8](repeating: 0, count: 8 * endpoint.maximumDatagramSize)
        while let transmit = buffer.withUnsafeMutableBytes({ endpoint.pollTransmit(into: $0, maxSegments: 8, at: now) }) {
            var offset = 0
            for index in 0..<transmit.segmentCount {
                #expect(transmit.size(ofSegment: index) <= transmit.segmentSize)
                out.append(Array(buffer[offset..<offset + transmit.size(ofSegment: index)]))
                offset += transmit.size(ofSegment: index)
            }
        }
        return out
    }

    @Test(
        "messages of mixed sizes, reliable and not, with acknowledgements between rounds: batches send the same datagrams in the same order"
    )
    func mixedSizesLeaveInTheSameOrderBatchedOrNot() throws {
        let pairs = [try Self.pairWithQueuedMessages(0, size: 0), try Self.pairWithQueuedMessages(0, size: 0)]
        var random = SeededGenerator(seed: 11)
        var sizes: [(Int, DeliveryMode)] = []
        for _ in 0..<200 { sizes.append((Int(random.next() % 4000) + 1, random.next() % 3 == 0 ? .unreliable : .reliableOrdered)) }
        var streams: [[[UInt8]]] = [[], []]
        for round in 0..<10 {
            for (index, pair) in pairs.enumerated() {
                let id = try #require(pair.serverConnection)
                for (size, mode) in sizes[(round * 20)..<(round * 20 + 20)] {
                    try pair.server.send([UInt8](repeating: UInt8(truncatingIfNeeded: size), count: size), on: id, mode: mode)
                }
                pair.now = pair.now + .milliseconds(10)
                let datagrams = Self.drain(pair.server, batched: index == 0, at: pair.now)
                streams[index] += datagrams
                for datagram in datagrams { pair.client.handle(datagram: datagram, from: Pair.serverAddress, at: pair.now) }
                while pair.client.pollEventConsuming() != nil {}
                pair.now = pair.now + .milliseconds(10)
                pair.client.handleTimeout(at: pair.now)
                for datagram in Self.drain(pair.client, batched: false, at: pair.now) {
                    pair.server.handle(datagram: datagram, from: Pair.clientAddress, at: pair.now)
                }
                while pair.server.pollEventConsuming() != nil {}
            }
        }
        #expect(streams[0].count > 100)
        #expect(Set(streams[0].map(\.count)).count > 2, "datagrams of several sizes")
        #expect(streams[0] == streams[1])
    }

    @Test func aBufferBigEnoughForOneDatagramGetsOne() throws {
        let pair = try Self.pairWithQueuedMessages(10, size: 1000)
        var buffer = [UInt8](repeating: 0, count: pair.server.maximumDatagramSize)
        var count = 0
        while let transmit = buffer.withUnsafeMutableBytes({ pair.server.pollTransmit(into: $0, maxSegments: 8, at: pair.now) }) {
            #expect(transmit.segmentCount == 1 && transmit.byteCount == transmit.segmentSize)
            count += 1
        }
        #expect(count == 10)
    }

    @Test func batchesKeepTheAntiAmplificationLimit() throws {
        // A half-open server connection whose client sent one CONNECT: at most 3x its size back,
        // however the output is polled.
        var configuration = EndpointConfiguration(acceptsConnections: true)
        configuration.retryPolicy = .never
        let server = Endpoint(configuration: configuration, randomness: SeededGenerator(seed: 5))
        let client = Endpoint(configuration: EndpointConfiguration(), randomness: SeededGenerator(seed: 6))
        _ = client.connect(to: 2, at: .zero)
        let connect = try #require(client.pollTransmit(at: .zero)).datagram
        var now = Timestamp.zero
        var sent = 0
        var buffer = [UInt8](repeating: 0, count: 8 * server.maximumDatagramSize)
        for _ in 0..<20 {
            server.handle(datagram: connect, from: 1, at: now)  // the client retransmits: 3x more each time
            while let transmit = buffer.withUnsafeMutableBytes({ server.pollTransmit(into: $0, maxSegments: 8, at: now) }) {
                sent += transmit.byteCount
            }
            now = now + .milliseconds(300)
            server.handleTimeout(at: now)
            while let transmit = buffer.withUnsafeMutableBytes({ server.pollTransmit(into: $0, maxSegments: 8, at: now) }) {
                sent += transmit.byteCount
            }
        }
        #expect(sent <= Endpoint.amplificationFactor * 20 * connect.count)
        #expect(server.statistics.bytesSent == sent)
    }
}
