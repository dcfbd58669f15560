import DequeModule
import RUDPWire

/// Receive state of one channel's reliable messages: reassembly, deduplication by sequence
/// number (serial arithmetic, so the 32-bit sequence may wrap), and ordered release.
///
/// Each call reports how the memory it holds changed (counted as in ``ReceiveMemory``), so
/// the connection can keep its total without asking.
struct ReliableChannelReceiver {
    enum Entry {
        case partial(MessageReassembly, DeliveryMode)
        case complete([UInt8])           // ordered, waiting for earlier messages
        case delivered                   // unordered, already handed out

        /// The memory this entry holds.
        var memory: Int {
            switch self {
            case .partial(let r, _): return r.memory + ReceiveMemory.overhead
            case .complete(let bytes): return bytes.count + ReceiveMemory.overhead
            case .delivered: return ReceiveMemory.overhead
            }
        }
    }

    /// The oldest sequence not yet delivered or passed.
    private(set) var nextToDeliver: UInt32
    private var entries: [UInt32: Entry] = [:]

    init(initialSequence: UInt32) { nextToDeliver = initialSequence }

    enum Outcome {
        case duplicate
        /// The fragment was taken. `newMessageBytes`: a new message started, its total length
        /// is charged against flow control. `memoryChange`: how the memory held changed.
        case accepted(newMessageBytes: Int?, memoryChange: Int)
        case violation(String)
    }

    /// Takes one reliable fragment, read in place from the received packet (its payload is copied
    /// once, into the delivered message or the reassembly, and only if it is new); appends
    /// completed, deliverable messages to `events`.
    mutating func receive(_ frame: MessageFrameView, window: UInt16, maxMessageSize: Int, deliveringTo events: inout Deque<ConnectionEvent>) -> Outcome {
        let distance = frame.sequence &- nextToDeliver
        if distance >= 1 << 31 { return .duplicate }   // behind the window: already delivered
        if distance >= UInt32(window) { return .violation("message sequence beyond the message window") }
        var newBytes: Int? = nil
        var completed: [UInt8]? = nil
        var change = 0
        // In-order traffic without loss keeps no entries: no lookup then.
        if !entries.isEmpty, let index = entries.index(forKey: frame.sequence) {
            guard case .partial(var r, let mode) = entries.values[index] else { return .duplicate }
            if r.totalLength != Int(frame.totalLength) || mode != frame.mode {
                return .violation("fragments of one message disagree on its length or mode")
            }
            entries.values[index] = .delivered   // drop the entry's reference: `r` is then unique, no copy
            let before = r.memory
            switch r.insert(offset: Int(frame.offset), payload: frame.payload) {
            case .duplicate:
                entries.values[index] = .partial(r, mode)
                return .duplicate
            case .tooFragmented:
                entries.values[index] = .partial(r, mode)
                return .violation("message arrived in too many separate pieces")
            case .added:
                if r.isComplete {
                    entries.remove(at: index)
                    change -= before + ReceiveMemory.overhead
                    completed = r.takeMessage()
                } else {
                    change += r.memory - before
                    entries.values[index] = .partial(r, mode)
                }
            }
        } else {
            let total = Int(frame.totalLength)
            if total > maxMessageSize { return .violation("message of \(total) bytes exceeds the maximum message size") }
            newBytes = total
            if frame.offset == 0 && frame.payload.count == total {
                completed = Array(frame.payload)
            } else {
                var r = MessageReassembly(totalLength: total)
                _ = r.insert(offset: Int(frame.offset), payload: frame.payload)
                let entry = Entry.partial(r, frame.mode)
                change += entry.memory
                entries[frame.sequence] = entry
            }
        }
        if let bytes = completed {
            let message = ReceivedMessage(bytes: bytes, channel: frame.channel, mode: frame.mode)
            if frame.mode.isOrdered && frame.sequence != nextToDeliver {
                let entry = Entry.complete(bytes)
                change += entry.memory
                entries[frame.sequence] = entry
            } else {
                events.append(.message(message))
                if frame.sequence == nextToDeliver {
                    nextToDeliver &+= 1
                    if !entries.isEmpty { change += advance(channel: frame.channel, deliveringTo: &events) }
                } else {
                    change += Entry.delivered.memory
                    entries[frame.sequence] = .delivered
                }
            }
        }
        return .accepted(newMessageBytes: newBytes, memoryChange: change)
    }

    /// Delivers the complete ordered messages now in order; returns the memory change.
    private mutating func advance(channel: UInt8, deliveringTo events: inout Deque<ConnectionEvent>) -> Int {
        var change = 0
        while let entry = entries[nextToDeliver] {
            switch entry {
            case .partial: return change
            case .delivered:
                entries[nextToDeliver] = nil
            case .complete(let bytes):
                entries[nextToDeliver] = nil
                events.append(.message(ReceivedMessage(bytes: bytes, channel: channel, mode: .reliableOrdered)))
            }
            change -= entry.memory
            nextToDeliver &+= 1
        }
        return change
    }

    /// Messages held (partial, waiting or delivered markers).
    var heldCount: Int { entries.count }

    /// The memory held by every entry (recomputed; for tests and checks).
    var memory: Int { entries.values.reduce(0) { $0 + $1.memory } }

    /// Gives the dictionary's storage back if nothing is held (the connection went idle).
    mutating func shrinkIfEmpty() {
        if entries.isEmpty { entries = [:] }
    }

    /// Forgets every partial and waiting message (the connection is closing).
    mutating func discardHeldMessages() {
        entries = [:]
    }
}
