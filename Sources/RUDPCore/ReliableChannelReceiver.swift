import DequeModule
import NIOCore
import RUDPWire

/// Receive state of one channel's reliable messages: reassembly, deduplication by sequence
/// number (serial arithmetic, so the 32-bit sequence may wrap), and ordered release.
///
/// Each call reports how the memory it holds changed (counted as in ``ReceiveMemory``), so
/// the connection can keep its total without asking.
///
/// The messages held (partial, complete but waiting for an earlier one, delivered ahead of
/// order) are listed in a deque sorted by sequence number, in serial order from
/// ``nextToDeliver``, each with the slot of its entry in a pool: after a loss, messages arrive in
/// order behind the gap (appended at the end) and leave from the front once it is filled, so the
/// common operations are O(1) and need no hashing; a lookup is a binary search, and a
/// retransmission that lands in the middle moves 8-byte list elements, not entries. Both hold
/// one element per message held (each charged ``ReceiveMemory/overhead``), never a slot per
/// sequence number of the window.
struct ReliableChannelReceiver {
    enum Entry {
        case partial(MessageReassembly, DeliveryMode)
        case complete(ByteBuffer)  // ordered, waiting for earlier messages
        case delivered  // unordered, already handed out

        /// The memory this entry holds.
        var memory: Int {
            switch self {
            case .partial(let r, _): return r.memory + ReceiveMemory.overhead
            case .complete(let buffer): return buffer.readableBytes + ReceiveMemory.overhead
            case .delivered: return ReceiveMemory.overhead
            }
        }
    }

    /// A message held: its sequence number and the slot of its entry in the pool.
    struct Held {
        var sequence: UInt32
        var slot: Int32
    }

    /// The oldest sequence not yet delivered or passed.
    private(set) var nextToDeliver: UInt32
    /// Held messages, ascending in serial order from `nextToDeliver` (all of them after it).
    private var entries: Deque<Held> = []
    /// The held messages' entries, by slot; a free slot holds `.delivered` (no bytes kept alive).
    private var pool: ContiguousArray<Entry> = []
    private var freeSlots: ContiguousArray<Int32> = []

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
    /// A message that arrives whole is copied into a buffer from `recycler` when there is one.
    mutating func receive(
        _ frame: MessageFrameView, window: UInt16, maxMessageSize: Int, recycler: UnsafeMutablePointer<MessageBufferRecycler>? = nil,
        deliveringTo events: inout Deque<ConnectionEvent>
    ) -> Outcome {
        let distance = frame.sequence &- nextToDeliver
        if distance >= 1 << 31 { return .duplicate }  // behind the window: already delivered
        if distance >= UInt32(window) { return .violation("message sequence beyond the message window") }
        var newBytes: Int? = nil
        var completed: ByteBuffer? = nil
        var change = 0
        // In-order traffic without loss keeps no entries: no lookup then. `index` is where the
        // sequence is, or where it belongs.
        let (index, found) = entries.isEmpty ? (0, false) : position(of: distance)
        if found {
            let slot = Int(entries[index].slot)
            guard case .partial(var r, let mode) = pool[slot] else { return .duplicate }
            if r.totalLength != Int(frame.totalLength) || mode != frame.mode {
                return .violation("fragments of one message disagree on its length or mode")
            }
            pool[slot] = .delivered  // drop the entry's reference: `r` is then unique, no copy
            let before = r.memory
            switch r.insert(offset: Int(frame.offset), payload: frame.payload) {
            case .duplicate:
                pool[slot] = .partial(r, mode)
                return .duplicate
            case .tooFragmented:
                pool[slot] = .partial(r, mode)
                return .violation("message arrived in too many separate pieces")
            case .added:
                if r.isComplete {
                    entries.remove(at: index)
                    freeSlots.append(Int32(slot))
                    change -= before + ReceiveMemory.overhead
                    completed = r.takeMessage()
                } else {
                    change += r.memory - before
                    pool[slot] = .partial(r, mode)
                }
            }
        } else {
            let total = Int(frame.totalLength)
            if total > maxMessageSize { return .violation("message of \(total) bytes exceeds the maximum message size") }
            newBytes = total
            if frame.offset == 0 && frame.payload.count == total {
                completed = MessageBufferRecycler.message(copying: frame.payload, from: recycler)
            } else {
                var r = MessageReassembly(totalLength: total)
                _ = r.insert(offset: Int(frame.offset), payload: frame.payload)
                let entry = Entry.partial(r, frame.mode)
                change += entry.memory
                hold(entry, sequence: frame.sequence, at: index)
            }
        }
        if let bytes = completed.take() {  // moved out, not copied
            if frame.mode.isOrdered && frame.sequence != nextToDeliver {
                let entry = Entry.complete(bytes)
                change += entry.memory
                hold(entry, sequence: frame.sequence, at: index)
            } else {
                events.append(.message(ReceivedMessage(buffer: bytes, channel: frame.channel, mode: frame.mode)))
                if frame.sequence == nextToDeliver {
                    nextToDeliver &+= 1
                    if !entries.isEmpty { change += advance(channel: frame.channel, deliveringTo: &events) }
                } else {
                    change += Entry.delivered.memory
                    hold(.delivered, sequence: frame.sequence, at: index)
                }
            }
        }
        return .accepted(newMessageBytes: newBytes, memoryChange: change)
    }

    /// Delivers the complete ordered messages now in order; returns the memory change.
    private mutating func advance(channel: UInt8, deliveringTo events: inout Deque<ConnectionEvent>) -> Int {
        var change = 0
        while let first = entries.first, first.sequence == nextToDeliver {
            let slot = Int(first.slot)
            let entry = pool[slot]
            if case .partial = entry { return change }
            entries.removeFirst()
            pool[slot] = .delivered
            freeSlots.append(first.slot)
            if case .complete(let bytes) = entry {
                events.append(.message(ReceivedMessage(buffer: bytes, channel: channel, mode: .reliableOrdered)))
            }
            change -= entry.memory
            nextToDeliver &+= 1
        }
        return change
    }

    /// Holds `entry` for `sequence`, listed at `index` (where ``position(of:)`` put it).
    private mutating func hold(_ entry: Entry, sequence: UInt32, at index: Int) {
        let slot: Int32
        if let free = freeSlots.popLast() {
            slot = free
            pool[Int(free)] = entry
        } else {
            slot = Int32(pool.count)
            pool.append(entry)
        }
        if index == entries.count {
            entries.append(Held(sequence: sequence, slot: slot))
        } else {
            entries.insert(Held(sequence: sequence, slot: slot), at: index)
        }
    }

    /// Where the held message `distance` sequence numbers after ``nextToDeliver`` is listed
    /// (found), or where it belongs (not found). Messages usually arrive in order behind a gap: a
    /// sequence after the last one listed is answered without a search.
    private func position(of distance: UInt32) -> (index: Int, found: Bool) {
        let base = nextToDeliver
        var low = 0, high = entries.count
        if let last = entries.last {
            let lastDistance = last.sequence &- base
            if distance > lastDistance { return (high, false) }
            if distance == lastDistance { return (high - 1, true) }
        }
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].sequence &- base < distance { low = middle + 1 } else { high = middle }
        }
        return (low, low < entries.count && entries[low].sequence &- base == distance)
    }

    /// Messages held (partial, waiting or delivered markers).
    var heldCount: Int { entries.count }

    /// The memory held by every entry (recomputed; for tests and checks).
    var memory: Int { entries.reduce(0) { $0 + pool[Int($1.slot)].memory } }

    /// Gives the storage back if nothing is held (the connection went idle).
    mutating func shrinkIfEmpty() {
        if entries.isEmpty {
            entries = []
            pool = []
            freeSlots = []
        }
    }

    /// Forgets every partial and waiting message (the connection is closing).
    mutating func discardHeldMessages() {
        entries = []
        pool = []
        freeSlots = []
    }
}
