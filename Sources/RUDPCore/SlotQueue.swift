/// A first-in first-out queue of connection slots, as the ``Endpoint`` keeps them for output,
/// events and half-open eviction: a ring buffer of (slot, generation) pairs that grows by
/// doubling. The generation tells an entry of a slot's earlier occupant from one of its
/// current one, so removing a connection never has to search the queues.
///
/// ```swift
/// var queue = SlotQueue()
/// queue.append(slot: 3, generation: 1)
/// queue.first   // (slot: 3, generation: 1)
/// queue.removeFirst()
/// ```
struct SlotQueue {
    private var storage: ContiguousArray<UInt64>
    private var head = 0
    /// Number of entries.
    private(set) var count = 0

    /// An empty queue (with room for 16 entries before it first grows).
    init() {
        storage = ContiguousArray(repeating: 0, count: 16)
    }

    var isEmpty: Bool { count == 0 }

    /// The oldest entry, or nil.
    @inline(__always)
    var first: (slot: Int, generation: UInt32)? {
        if count == 0 { return nil }
        return Self.unpack(storage[head])
    }

    /// Adds an entry at the back.
    @inline(__always)
    mutating func append(slot: Int, generation: UInt32) {
        if count == storage.count { grow() }
        storage[(head + count) & (storage.count - 1)] = UInt64(generation) << 32 | UInt64(UInt32(truncatingIfNeeded: slot))
        count += 1
    }

    /// Removes the oldest entry; the queue must not be empty.
    @inline(__always)
    mutating func removeFirst() {
        precondition(count > 0, "SlotQueue: removeFirst on an empty queue")
        head = (head + 1) & (storage.count - 1)
        count -= 1
    }

    /// Removes and returns the oldest entry, or nil.
    mutating func popFirst() -> (slot: Int, generation: UInt32)? {
        guard let entry = first else { return nil }
        removeFirst()
        return entry
    }

    /// Keeps only the entries for which `keep` is true, in order, in storage twice their number
    /// (at least 16).
    mutating func retain(where keep: (_ slot: Int, _ generation: UInt32) -> Bool) {
        var kept = ContiguousArray<UInt64>()
        kept.reserveCapacity(count)
        for i in 0..<count {
            let raw = storage[(head + i) & (storage.count - 1)]
            let (slot, generation) = Self.unpack(raw)
            if keep(slot, generation) { kept.append(raw) }
        }
        var capacity = 16
        while capacity < 2 * kept.count { capacity *= 2 }
        storage = ContiguousArray(repeating: 0, count: capacity)
        for (i, raw) in kept.enumerated() { storage[i] = raw }
        head = 0
        count = kept.count
    }

    private mutating func grow() {
        var bigger = ContiguousArray<UInt64>(repeating: 0, count: storage.count * 2)
        for i in 0..<count { bigger[i] = storage[(head + i) & (storage.count - 1)] }
        storage = bigger
        head = 0
    }

    @inline(__always)
    private static func unpack(_ raw: UInt64) -> (slot: Int, generation: UInt32) {
        (Int(UInt32(truncatingIfNeeded: raw)), UInt32(truncatingIfNeeded: raw >> 32))
    }
}
