import DequeModule
import NIOCore
import RUDPWire

/// Reassembles fragmented unreliable messages within a memory budget, evicting the oldest
/// partial message (by arrival of its first fragment) first. Single-fragment messages do not
/// come here: the connection delivers them at once.
///
/// Memory is counted as it is held (``ReceiveMemory``): the chunks of each partial message plus
/// one record each, not the lengths the messages claim.
struct UnreliableReassembler {
    struct Key: Hashable { var channel: UInt8; var sequence: UInt32 }
    static let maximumPartialMessages = 64

    private var partial: [Key: MessageReassembly] = [:]
    private var order: Deque<Key> = []
    /// The memory held by the partial messages.
    private(set) var memory = 0
    /// Partial messages evicted so far.
    private(set) var evicted = 0

    /// Number of partial messages held.
    var count: Int { partial.count }

    enum Outcome {
        /// The fragment completed this message.
        case completed(ByteBuffer)
        /// The fragment was kept, or ignored (a duplicate, a total length that disagrees with
        /// earlier fragments, too many separate pieces).
        case pending
        /// The fragment was dropped, and with it its message: keeping it would exceed `limit`
        /// even after evicting every other partial message.
        case dropped
    }

    /// Takes one fragment of an unreliable message that does not cover the whole message.
    /// `limit`: the most memory the partial messages may hold after it (the smaller of the
    /// reassembly budget and the room the connection has).
    mutating func receive(_ frame: MessageFrameView, limit: Int, maxMessageSize: Int) -> Outcome {
        let total = Int(frame.totalLength)
        if total > maxMessageSize { return .dropped }
        let key = Key(channel: frame.channel, sequence: frame.sequence)
        var r: MessageReassembly
        var before: Int
        if let existing = partial.removeValue(forKey: key) {
            r = existing
            before = r.memory + ReceiveMemory.overhead
            if r.totalLength != total {
                partial[key] = r
                return .pending  // ignored (section 13.6)
            }
        } else {
            // Evict the oldest until a new record with this fragment fits (and the count does).
            let cost = ReceiveMemory.bound(payloadCount: frame.payload.count)
            while memory + cost > limit || partial.count >= Self.maximumPartialMessages, let oldest = order.popFirst() {
                evict(oldest)
            }
            if memory + cost > limit { return .dropped }
            r = MessageReassembly(totalLength: total)
            before = 0
            order.append(key)
        }
        switch r.insert(offset: Int(frame.offset), payload: frame.payload) {
        case .duplicate:
            partial[key] = r
            return .pending
        case .tooFragmented:
            partial[key] = r  // ignored (section 13.6); the message stays as it was
            return .pending
        case .added:
            break
        }
        memory -= before
        if r.isComplete {
            removeFromOrder(key)
            return .completed(r.takeMessage())
        }
        let after = r.memory + ReceiveMemory.overhead
        memory += after
        partial[key] = r
        // Keep within the limit: evict others first, then this message itself.
        while memory > limit, let oldest = order.first(where: { $0 != key }) {
            removeFromOrder(oldest)
            evict(oldest)
        }
        if memory > limit {
            removeFromOrder(key)
            evict(key)
            return .dropped
        }
        return .pending
    }

    /// Evicts the oldest partial messages until at most `limit` bytes are held; returns the
    /// memory freed.
    mutating func shrink(to limit: Int) -> Int {
        let start = memory
        while memory > limit, let oldest = order.popFirst() {
            evict(oldest)
        }
        return start - memory
    }

    /// Gives the containers' storage back if nothing is held (the connection went idle).
    mutating func shrinkIfEmpty() {
        if partial.isEmpty {
            partial = [:]
            order = []
        }
    }

    /// Drops a partial message (already removed from `order`).
    private mutating func evict(_ key: Key) {
        if let r = partial.removeValue(forKey: key) {
            memory -= r.memory + ReceiveMemory.overhead
            evicted += 1
        }
    }

    private mutating func removeFromOrder(_ key: Key) {
        if let index = order.firstIndex(of: key) { order.remove(at: index) }
    }
}
