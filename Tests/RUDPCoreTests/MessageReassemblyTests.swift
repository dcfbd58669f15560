import DequeModule
import RUDPWire
import Testing

@testable import RUDPCore

/// The chunked reassembly of one message: memory as fragments arrive, order, overlaps,
/// duplicates and the interval bound (`Specs/PROTOCOL.md` section 13.6).
@Suite struct MessageReassemblyTests {
    static let overhead = ReceiveMemory.overhead

    /// Calls `body` with `frame` as the receiver gets it: a view into a DATA packet carrying it.
    static func withView<Result>(of frame: MessageFrame, _ body: (MessageFrameView) -> Result) -> Result {
        let bytes = Packet(destination: ConnectionID(1), packetNumber: 0, body: .data([.message(frame)])).serialized()
        return bytes.withUnsafeBytes { raw in
            guard case .data(let data)? = try? PacketView(validating: raw),
                case .message(let view)? = data.frames.first(where: { _ in true })
            else {
                preconditionFailure("a valid MESSAGE frame did not validate")
            }
            return body(view)
        }
    }

    static func message(_ count: Int, seed: UInt64 = 7) -> [UInt8] {
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    }

    @Test func firstFragmentOfAHugeMessageHoldsOnlyItsBytes() {
        var r = MessageReassembly(totalLength: 1 << 30)
        #expect(r.insert(offset: 0, payload: [1, 2, 3]) == .added)
        #expect(r.receivedBytes == 3)
        #expect(r.storedBytes >= 3 && r.storedBytes <= 32)
        #expect(r.memory == r.storedBytes + Self.overhead)
        #expect(!r.isComplete)
    }

    @Test func inOrderFragmentsBuildTheMessage() {
        let bytes = Self.message(10_000)
        var r = MessageReassembly(totalLength: bytes.count)
        var offset = 0
        var chunks = 0
        while offset < bytes.count {
            let end = min(offset + 1116, bytes.count)
            #expect(r.insert(offset: offset, payload: Array(bytes[offset..<end])) == .added)
            chunks += 1
            #expect(r.intervalCount == 1)
            #expect(r.chunkCount == chunks)
            #expect(r.storedBytes >= end)
            #expect(r.memory == r.storedBytes + chunks * Self.overhead)
            offset = end
        }
        #expect(r.isComplete)
        #expect(r.takeBytes() == bytes)
    }

    @Test func outOfOrderFragmentsBuildTheMessage() {
        let bytes = Self.message(5000)
        var r = MessageReassembly(totalLength: bytes.count)
        let starts = stride(from: 0, to: bytes.count, by: 500).reversed()
        for start in starts {
            #expect(r.insert(offset: start, payload: Array(bytes[start..<min(start + 500, bytes.count)])) == .added)
            #expect(r.intervalCount == 1)  // each one touches the run received before it
        }
        #expect(r.isComplete)
        #expect(r.takeBytes() == bytes)
    }

    @Test func gapsCountAsSeparateIntervalsUntilFilled() {
        let bytes = Self.message(100)
        var r = MessageReassembly(totalLength: 100)
        #expect(r.insert(offset: 0, payload: Array(bytes[0..<10])) == .added)
        #expect(r.insert(offset: 50, payload: Array(bytes[50..<60])) == .added)
        #expect(r.insert(offset: 90, payload: Array(bytes[90..<100])) == .added)
        #expect(r.intervalCount == 3)
        // One fragment over both gaps (and the middle run) joins everything from 0 to 100
        // except 60..<90, which it does not reach.
        #expect(r.insert(offset: 5, payload: Array(bytes[5..<70])) == .added)
        #expect(r.intervalCount == 2)
        #expect(r.receivedBytes == 80)
        // Only the new bytes are kept: 10..<50 and 60..<70, as two new chunks.
        #expect(r.chunkCount == 5)
        #expect(r.memory == r.storedBytes + 5 * Self.overhead)
        #expect(r.insert(offset: 60, payload: Array(bytes[60..<90])) == .added)
        #expect(r.isComplete)
        #expect(r.takeBytes() == bytes)
    }

    @Test func duplicatesAndCoveredFragmentsAddNothing() {
        let bytes = Self.message(300)
        var r = MessageReassembly(totalLength: 300)
        #expect(r.insert(offset: 100, payload: Array(bytes[100..<200])) == .added)
        let memory = r.memory
        #expect(r.insert(offset: 100, payload: Array(bytes[100..<200])) == .duplicate)
        #expect(r.insert(offset: 150, payload: Array(bytes[150..<160])) == .duplicate)
        #expect(r.insert(offset: 0, payload: []) == .duplicate)
        #expect(r.memory == memory)
        #expect(r.intervalCount == 1)
    }

    @Test func overlappingBytesKeepTheFirstCopy() {
        var r = MessageReassembly(totalLength: 6)
        #expect(r.insert(offset: 2, payload: [1, 1]) == .added)
        // Disagrees with what arrived at 2..<4: those bytes stay as first received.
        #expect(r.insert(offset: 0, payload: [9, 9, 9, 9, 9, 9]) == .added)
        #expect(r.receivedBytes == 6)
        #expect(r.takeBytes() == [9, 9, 1, 1, 9, 9])
    }

    /// A fragment is copied once, out of the packet, into a chunk, and the complete message once
    /// more, into a buffer of its own sized for its length (NIO rounds capacities up to a power
    /// of two; the "one more copy" a reassembled message may take); neither aliases the packet.
    @Test func aReassembledMessageIsCopiedIntoABufferOfItsLength() {
        let payload = Self.message(2000)
        var r = MessageReassembly(totalLength: 2000)
        #expect(r.insert(offset: 0, payload: Array(payload[0..<1200])) == .added)
        #expect(payload.withUnsafeBytes { r.insert(offset: 1200, payload: UnsafeRawBufferPointer(rebasing: $0[1200...])) } == .added)
        let message = r.takeMessage()
        #expect(Array(message.readableBytesView) == payload)
        #expect(message.readerIndex == 0 && message.capacity == 2048)
        let copied = payload.withUnsafeBytes { a in message.withUnsafeReadableBytes { b in a.baseAddress != b.baseAddress } }
        #expect(copied)
        #expect(r.chunkCount == 0 && r.receivedBytes == 0)
    }

    @Test func intervalBoundRefusesAnotherSeparatePiece() {
        let limit = MessageReassembly.maximumIntervals
        var r = MessageReassembly(totalLength: 2 * limit + 10)
        for i in 0..<limit {
            #expect(r.insert(offset: 2 * i, payload: [1]) == .added)
        }
        #expect(r.intervalCount == limit)
        // A separate piece (in the gap beyond the last, or between two) is refused...
        #expect(r.insert(offset: 2 * limit + 5, payload: [1]) == .tooFragmented)
        #expect(r.intervalCount == limit)
        // ...but one that touches received bytes is not, and filling a gap merges two.
        #expect(r.insert(offset: 2 * limit - 1, payload: [1]) == .added)
        #expect(r.insert(offset: 1, payload: [1]) == .added)
        #expect(r.intervalCount == limit - 1)
        #expect(r.memory == r.storedBytes + r.chunkCount * Self.overhead)
    }

    @Test func tinyInOrderFragmentsShareChunks() {
        let bytes = Self.message(10_000)
        var r = MessageReassembly(totalLength: bytes.count)
        for offset in bytes.indices {
            #expect(r.insert(offset: offset, payload: [bytes[offset]]) == .added)
        }
        // 4,096-byte chunks (the first starts as a one-byte array): bookkeeping stays small.
        #expect(r.chunkCount <= 4)
        #expect(r.memory <= 10_000 + 2 * MessageReassembly.mergedChunkCapacity)
        #expect(r.takeBytes() == bytes)
    }

    /// Random fragments (overlapping, duplicated, in any order) against a byte-by-byte model.
    @Test(arguments: 1...40 as ClosedRange<UInt64>)
    func randomFragmentsMatchAModel(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        let total = 1 + Int(rng.next() % 3000)
        let bytes = Self.message(total, seed: seed)
        var model = [Bool](repeating: false, count: total)
        var firstCopy = [UInt8](repeating: 0, count: total)
        var r = MessageReassembly(totalLength: total)
        var rounds = 0
        while !r.isComplete && rounds < 10_000 {
            rounds += 1
            let start = Int(rng.next() % UInt64(total))
            let length = 1 + Int(rng.next() % UInt64(min(400, total - start)))
            // Each copy carries its round in the last byte position's value, so "first copy
            // wins" is visible: keep the model of what must be kept.
            var payload = Array(bytes[start..<(start + length)])
            payload[0] = payload[0] &+ UInt8(truncatingIfNeeded: rounds)
            let isNew = model[start..<(start + length)].contains(false)
            let result = r.insert(offset: start, payload: payload)
            #expect(result == (isNew ? .added : .duplicate), "seed \(seed)")
            for i in start..<(start + length) where !model[i] {
                model[i] = true
                firstCopy[i] = payload[i - start]
            }
            var runs = 0
            for i in 0..<total where model[i] && (i == 0 || !model[i - 1]) { runs += 1 }
            #expect(r.receivedBytes == model.filter { $0 }.count, "seed \(seed)")
            #expect(r.intervalCount == runs, "seed \(seed)")
            #expect(r.memory == r.storedBytes + r.chunkCount * Self.overhead, "seed \(seed)")
            #expect(r.storedBytes >= r.receivedBytes, "seed \(seed)")
        }
        #expect(r.isComplete, "seed \(seed)")
        #expect(r.takeBytes() == firstCopy, "seed \(seed)")
    }

    /// A channel's receiver reports every change of the memory it holds: the sum of the changes
    /// is what its entries hold, and zero once everything was delivered.
    @Test(arguments: 1...20 as ClosedRange<UInt64>)
    func channelReceiverAccountsForWhatItHolds(seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        let messages = (0..<20).map { i in Self.message(Int(rng.next() % 4000), seed: seed &+ UInt64(i)) }
        let modes: [DeliveryMode] = messages.indices.map { _ in rng.next() % 3 == 0 ? .reliableUnordered : .reliableOrdered }
        var frames: [MessageFrame] = []
        for (sequence, bytes) in messages.enumerated() {
            var offset = 0
            repeat {
                let end = min(bytes.count, offset + 1 + Int(rng.next() % 900))
                frames.append(
                    MessageFrame(
                        channel: 0, mode: modes[sequence], sequence: UInt32(sequence), totalLength: UInt32(bytes.count),
                        offset: UInt32(offset), payload: Array(bytes[offset..<end])))
                offset = end
            } while offset < bytes.count
        }
        // Shuffle, and repeat a few fragments.
        for i in frames.indices.reversed() { frames.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
        frames += frames.prefix(10)
        var receiver = ReliableChannelReceiver(initialSequence: 0)
        var held = 0
        var delivered: [[UInt8]] = []
        for frame in frames {
            var events: Deque<ConnectionEvent> = []
            let outcome = Self.withView(of: frame) { receiver.receive($0, window: 64, maxMessageSize: 1 << 20, deliveringTo: &events) }
            for case .message(let message) in events { delivered.append(message.bytes) }
            switch outcome {
            case .accepted(_, let change): held += change
            case .duplicate: break
            case .violation(let why): Issue.record("seed \(seed): \(why)")
            }
            #expect(held == receiver.memory, "seed \(seed)")
        }
        #expect(held == 0, "seed \(seed)")
        #expect(
            delivered.sorted { $0.lexicographicallyPrecedes($1) } == messages.sorted { $0.lexicographicallyPrecedes($1) }, "seed \(seed)")
        #expect(receiver.heldCount == 0, "seed \(seed)")
    }
}

extension MessageReassembly {
    /// The complete message's bytes as an array (for comparisons).
    fileprivate mutating func takeBytes() -> [UInt8] { Array(takeMessage().readableBytesView) }
}
