import NIOCore
import RUDPCore
import RUDPImpairment
import Testing

@testable import RUDPProxy

/// One direction of the proxy without sockets: order of release, counters, limits.
@Suite struct DirectionPipelineTests {
    typealias Pipeline = DirectionPipeline<Int>
    typealias Due = [(payload: ByteBuffer, target: Int)]

    static func datagram(_ index: Int, size: Int = 100) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(index))
        buffer.writeRepeatingByte(0xAB, count: size - 4)
        return buffer
    }

    static func index(of buffer: ByteBuffer) -> Int {
        Int(buffer.getInteger(at: buffer.readerIndex, as: UInt32.self)!)
    }

    static func pipeline(_ impairments: Impairments, seed: UInt64 = 1, capacity: Int = 10_000) -> Pipeline {
        Pipeline(
            impairments: impairments, generator: SeededGenerator(seed: seed), capacity: capacity,
            byteCapacity: 64 * 1024 * 1024)
    }

    @Test func withoutImpairmentEverythingIsDueAtOnceInOrder() {
        var pipeline = Self.pipeline(.none)
        var due: Due = []
        for index in 0..<100 {
            pipeline.submit(Self.datagram(index), to: 7, at: Timestamp(nanoseconds: UInt64(index)), due: &due)
        }
        #expect(due.map { Self.index(of: $0.payload) } == Array(0..<100))
        #expect(due.allSatisfy { $0.target == 7 })
        #expect(pipeline.nextArrival == nil)
        #expect(pipeline.statistics.received == 100)
        #expect(pipeline.statistics.receivedBytes == 10_000)
    }

    @Test func delayedDatagramsAreReleasedAtTheirArrivalInOrder() {
        var pipeline = Self.pipeline(Impairments(delay: .milliseconds(10), jitter: .milliseconds(4)))
        var due: Due = []
        let millisecond: UInt64 = 1_000_000
        for index in 0..<50 {
            pipeline.submit(Self.datagram(index), to: 1, at: Timestamp(nanoseconds: UInt64(index) * millisecond), due: &due)
        }
        #expect(due.isEmpty)
        #expect(pipeline.delayLineCount == 50)
        var released: [Int] = []
        var now = Timestamp.zero
        while let next = pipeline.nextArrival {
            #expect(next >= now)
            now = next
            pipeline.releaseDue(now: now, due: &due)
            released += due.map { Self.index(of: $0.payload) }
            due.removeAll()
        }
        // Jitter never reorders.
        #expect(released == Array(0..<50))
        #expect(pipeline.delayLineBytes == 0)
    }

    @Test func countersAddUp() {
        var impairments = Impairments(
            loss: 0.1, duplication: 0.1, reordering: 0.1, corruption: 0.1,
            delay: .milliseconds(2), mtu: 1000)
        impairments.link.burstLoss = .init(goodToBad: 0.01, badToGood: 0.5)
        var pipeline = Self.pipeline(impairments, seed: 3)
        var due: Due = []
        var sent = 0
        for index in 0..<20_000 {
            let size = index % 50 == 0 ? 1500 : 200
            pipeline.submit(
                Self.datagram(index, size: size), to: 0, at: Timestamp(nanoseconds: UInt64(index) * 100_000),
                due: &due)
            sent += due.count
            due.removeAll()
        }
        pipeline.releaseDue(now: Timestamp(nanoseconds: .max), due: &due)
        sent += due.count
        let s = pipeline.statistics
        print(s)
        #expect(s.received == 20_000)
        #expect(s.dropped.mtu == 400)
        #expect(s.dropped.loss > 0 && s.dropped.burst > 0 && s.duplicated > 0 && s.reordered > 0 && s.corrupted > 0)
        #expect(s.received + s.duplicated == sent + s.dropped.total)
    }

    @Test func corruptionFlipsBitsOfACopyOnly() {
        var pipeline = Self.pipeline(Impairments(corruption: 1))
        let original = Self.datagram(1, size: 64)
        var due: Due = []
        pipeline.submit(original, to: 0, at: .zero, due: &due)
        let corrupted = due[0].payload
        #expect(corrupted.readableBytes == 64)
        let differingBits = zip(original.readableBytesView, corrupted.readableBytesView)
            .map { ($0 ^ $1).nonzeroBitCount }.reduce(0, +)
        #expect((1...3).contains(differingBits))
        #expect(original == Self.datagram(1, size: 64))
    }

    @Test func partitionDropsUntilItEnds() {
        var pipeline = Self.pipeline(.none)
        pipeline.partitionedUntil = Timestamp.zero + .seconds(1)
        var due: Due = []
        pipeline.submit(Self.datagram(0), to: 0, at: Timestamp.zero + .milliseconds(999), due: &due)
        pipeline.submit(Self.datagram(1), to: 0, at: Timestamp.zero + .seconds(1), due: &due)
        #expect(due.count == 1)
        #expect(pipeline.statistics.dropped.partition == 1)
        #expect(pipeline.partitionedUntil == nil)
    }

    @Test func aFullDelayLineDropsAndCounts() {
        var pipeline = Self.pipeline(Impairments(delay: .seconds(1)), capacity: 10)
        var due: Due = []
        for index in 0..<20 {
            pipeline.submit(Self.datagram(index), to: 0, at: .zero, due: &due)
        }
        #expect(pipeline.delayLineCount == 9)
        #expect(pipeline.statistics.dropped.delayLineFull == 11)
    }

    @Test func updateKeepsHeldDatagramsAndTheirOrder() {
        var pipeline = Self.pipeline(Impairments(delay: .milliseconds(100)))
        var due: Due = []
        pipeline.submit(Self.datagram(0), to: 0, at: .zero, due: &due)
        pipeline.update(.none)
        // Less delay does not let a datagram overtake one already in flight (as in the simulator).
        pipeline.submit(Self.datagram(1), to: 0, at: Timestamp.zero + .milliseconds(1), due: &due)
        #expect(due.isEmpty)
        #expect(pipeline.nextArrival == Timestamp.zero + .milliseconds(100))
        pipeline.releaseDue(now: Timestamp.zero + .milliseconds(100), due: &due)
        #expect(due.map { Self.index(of: $0.payload) } == [0, 1])
        pipeline.submit(Self.datagram(2), to: 0, at: Timestamp.zero + .milliseconds(101), due: &due)
        #expect(due.map { Self.index(of: $0.payload) } == [0, 1, 2])
    }
}
