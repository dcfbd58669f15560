import DequeModule
import Foundation
import NIOCore
import RUDPCore
import Testing

@testable import RUDP

#if canImport(Glibc)
import Glibc
#endif

/// Resident bytes per connection of NIO's async bridges against the mailbox they would replace
/// (`RUDP_BRIDGE_COST=1 swift test --filter BridgeCostTests`): issue 15 point 2 asks whether
/// `NIOAsyncSequenceProducer` and `NIOAsyncWriter` fit the 4 KiB per idle connection.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["RUDP_BRIDGE_COST"] != nil), .serialized)
struct BridgeCostTests {
    struct Producing: NIOAsyncSequenceProducerDelegate {
        func produceMore() {}
        func didTerminate() {}
    }

    struct Sink: NIOAsyncWriterSinkDelegate {
        typealias Element = QueuedMessage
        func didYield(contentsOf sequence: Deque<QueuedMessage>) {}
        func didTerminate(error: (any Error)?) {}
    }

    static let count = 50_000

    /// The resident set size (as the memory benchmark counts), from /proc/self/statm.
    static func heapBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return (Int(fields.count > 1 ? fields[1] : "0") ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Resident bytes per instance of what `make` creates; `finish` ends each before it goes.
    /// Every measurement's instances stay alive to the end, so that none reuses another's memory.
    static func perInstance<T>(keeping kept: inout [() -> Void], _ make: () -> T, finish: @escaping (T) -> Void = { _ in }) -> Int {
        var instances: [T] = []
        instances.reserveCapacity(count)
        let before = heapBytes()
        for _ in 0..<count { instances.append(make()) }
        let after = heapBytes()
        kept.append { for instance in instances { finish(instance) } }
        return (after - before) / count
    }

    @Test func bridgeBytesPerConnection() {
        var configuration = ConnectionConfiguration()
        configuration.receiveWindow = 1 << 20
        var kept: [() -> Void] = []
        defer { for finish in kept { finish() } }
        let mailbox = Self.perInstance(keeping: &kept) {
            ConnectionMailbox(configuration: configuration, messageLimit: 1 << 20, channelCount: 1)
        }
        let producer = Self.perInstance(keeping: &kept) {
            NIOAsyncSequenceProducer.makeSequence(
                elementType: ReceivedMessage.self,
                backPressureStrategy: NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark(lowWatermark: 16, highWatermark: 64),
                finishOnDeinit: false, delegate: Producing())
        } finish: {
            $0.source.finish()
        }
        let writer = Self.perInstance(keeping: &kept) {
            NIOAsyncWriter.makeWriter(elementType: QueuedMessage.self, isWritable: true, finishOnDeinit: false, delegate: Sink())
        } finish: {
            $0.writer.finish()
            $0.sink.finish()
        }
        print(
            "bridge cost: ConnectionMailbox \(mailbox) B, NIOAsyncSequenceProducer (source + sequence) \(producer) B, NIOAsyncWriter (sink + writer) \(writer) B per instance"
        )
    }
}
