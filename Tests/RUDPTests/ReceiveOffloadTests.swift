import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import RUDP

/// UDP GRO on receive (`ReceiveOffload`, `SocketBinding.configuredBootstrap`): real loopback
/// sockets, GSO-sent bursts read back as the datagrams sent, intact and in order, with GRO on
/// and off, and no truncation when vector reads fetch several coalesced reads at once.
@Suite("UDP receive offload")
struct ReceiveOffloadTests {
    /// Splits `bytes` as the drivers do and returns the pieces' ranges.
    static func segments(of count: Int, segmentSize: Int?) -> [Range<Int>] {
        let bytes = [UInt8](repeating: 0, count: count)
        return bytes.withUnsafeBytes { base in
            var ranges: [Range<Int>] = []
            ReceiveOffload.forEachSegment(of: base, segmentSize: segmentSize) { piece in
                let start = piece.baseAddress.map { $0 - base.baseAddress! } ?? 0
                ranges.append(start..<start + piece.count)
            }
            return ranges
        }
    }

    @Test("A read splits into segments of the given size, the last one possibly shorter, without copying")
    func splitsReads() {
        #expect(Self.segments(of: 1_000, segmentSize: nil) == [0..<1_000])
        #expect(Self.segments(of: 1_000, segmentSize: 1_000) == [0..<1_000])
        #expect(Self.segments(of: 800, segmentSize: 1_000) == [0..<800])
        #expect(Self.segments(of: 3_000, segmentSize: 1_000) == [0..<1_000, 1_000..<2_000, 2_000..<3_000])
        #expect(Self.segments(of: 2_300, segmentSize: 1_000) == [0..<1_000, 1_000..<2_000, 2_000..<2_300])
        #expect(Self.segments(of: 3_000, segmentSize: 0) == [0..<3_000])  // nonsense metadata: one datagram
        #expect(Self.segments(of: 0, segmentSize: 1_000) == [0..<0])  // an empty datagram is one
    }

    /// What a receiving socket read: the datagrams after splitting, and how many reads carried them.
    final class Collector: Sendable {
        struct State {
            var datagrams: [[UInt8]] = []
            var reads = 0
        }
        let state = Mutex(State())
        /// Yields once the end marker (``ReceiveOffloadTests/endMarker``) was read.
        let ended: AsyncStream<Void>
        let continuation: AsyncStream<Void>.Continuation

        init() {
            (ended, continuation) = AsyncStream<Void>.makeStream()
        }

        /// Waits until the end marker was read: one flow on loopback keeps its order, so
        /// everything sent before it was read or lost by then.
        func waitForEnd() async {
            for await _ in ended { return }
        }
    }

    /// Sent alone (no GSO) after the bursts; shorter than any test datagram.
    static let endMarker: [UInt8] = [0xE, 0x0, 0xD]

    final class CollectingHandler: ChannelInboundHandler {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let collector: Collector

        init(collector: Collector) {
            self.collector = collector
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            let ended = collector.state.withLock { state in
                var ended = false
                envelope.data.withUnsafeReadableBytes { bytes in
                    ReceiveOffload.forEachSegment(of: bytes, segmentSize: envelope.metadata?.segmentSize) {
                        if $0.elementsEqual(ReceiveOffloadTests.endMarker) { ended = true } else { state.datagrams.append([UInt8]($0)) }
                    }
                }
                if !ended { state.reads += 1 }
                return ended
            }
            if ended { collector.continuation.yield() }
        }
    }

    /// Datagram `index` of a test: its index in the first four bytes, then a pattern of it.
    static func datagram(_ index: Int, size: Int) -> [UInt8] {
        (0..<size).map { offset in
            offset < 4 ? UInt8(truncatingIfNeeded: index >> (8 * offset)) : UInt8(truncatingIfNeeded: index &* 31 &+ offset)
        }
    }

    /// Sends `bursts` GSO writes of `segments` datagrams each (the last of each `lastSize` bytes,
    /// the others `segmentSize`) to a socket set up by `configuredBootstrap`, and returns the
    /// datagrams sent, those read, and the number of reads (the end marker not counted). With `pausedReading` the receiver reads
    /// nothing until every burst was sent, so that vector reads fetch several coalesced reads at once.
    static func exchange(
        receiveOffload: Bool, vectorReadCount: Int, bursts: Int, segments: Int, segmentSize: Int,
        lastSize: Int, pausedReading: Bool
    ) async throws -> (sent: [[UInt8]], read: [[UInt8]], reads: Int) {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let collector = Collector()
        let receiver = try await SocketBinding.configuredBootstrap(
            on: loop, connection: ConnectionConfiguration(),
            vectorReadCount: vectorReadCount, receiveOffload: receiveOffload
        )
        .channelOption(.autoRead, value: !pausedReading)
        .channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(CollectingHandler(collector: collector))
            }
        }
        .bind(host: "127.0.0.1", port: 0).get()
        let sender = try await DatagramBootstrap(group: loop)
            .channelOption(.socketOption(.so_sndbuf), value: SocketOptionValue(SocketBinding.socketBufferBytes))
            .bind(host: "127.0.0.1", port: 0).get()
        var sent: [[UInt8]] = []
        for _ in 0..<bursts {
            var buffer = sender.allocator.buffer(capacity: segments * segmentSize)
            for segment in 0..<segments {
                let datagram = datagram(sent.count, size: segment == segments - 1 ? lastSize : segmentSize)
                buffer.writeBytes(datagram)
                sent.append(datagram)
            }
            let envelope = AddressedEnvelope(
                remoteAddress: receiver.localAddress!, data: buffer,
                metadata: .init(ecnState: .transportNotCapable, packetInfo: nil, segmentSize: segmentSize))
            try await sender.writeAndFlush(envelope)
        }
        var marker = sender.allocator.buffer(capacity: Self.endMarker.count)
        marker.writeBytes(Self.endMarker)
        try await sender.writeAndFlush(AddressedEnvelope(remoteAddress: receiver.localAddress!, data: marker))
        if pausedReading {
            // Loopback delivers within the send (or its softirq): give it a moment, then read.
            try await Task.sleep(for: .milliseconds(100))
            try await receiver.setOption(.autoRead, value: true).get()
        }
        try await withHangGuard("\(sent.count) datagrams read") { await collector.waitForEnd() }
        try await sender.close()
        try await receiver.close()
        let state = collector.state.withLock { $0 }
        return (sent, state.datagrams, state.reads)
    }

    @Test(
        "A GSO burst of equal datagrams and a short last one arrives as those datagrams, intact and in order",
        arguments: [true, false])
    func burstArrivesIntact(receiveOffload: Bool) async throws {
        try #require(System.supportsUDPSegmentationOffload, "the test sends with UDP GSO")
        let segmentSize = ConnectionConfiguration().maxDatagramSize
        let result = try await Self.exchange(
            receiveOffload: receiveOffload, vectorReadCount: SocketBinding.clientVectorReadCount,
            bursts: 4, segments: 20, segmentSize: segmentSize, lastSize: 300, pausedReading: false)
        #expect(result.read.count == result.sent.count)
        #expect(result.read.map(\.count) == result.sent.map(\.count))
        #expect(result.read == result.sent, "datagrams changed, lost or reordered")
        if receiveOffload && System.supportsUDPReceiveOffload {
            // Loopback hands the GSO write to a GRO socket whole: far fewer reads than datagrams.
            #expect(result.reads < result.sent.count, "\(result.reads) reads for \(result.sent.count) datagrams: nothing coalesced")
        } else {
            #expect(result.reads == result.sent.count)
        }
    }

    @Test("Vector reads of several coalesced reads at once truncate nothing", arguments: [true, false])
    func vectorReadsTruncateNothing(receiveOffload: Bool) async throws {
        try #require(System.supportsUDPSegmentationOffload, "the test sends with UDP GSO")
        let segmentSize = ConnectionConfiguration().maxDatagramSize
        // 12 bursts of ~47 KB queued before the first read, read 4 at a time: every slot of a
        // vector read is filled with a coalesced read far larger than a datagram.
        let result = try await Self.exchange(
            receiveOffload: receiveOffload, vectorReadCount: 4, bursts: 12,
            segments: 40_000 / segmentSize, segmentSize: segmentSize,
            lastSize: segmentSize / 2, pausedReading: true)
        #expect(result.read.map(\.count) == result.sent.map(\.count), "truncated or lost")
        #expect(result.read == result.sent, "datagrams changed, lost or reordered")
    }
}
