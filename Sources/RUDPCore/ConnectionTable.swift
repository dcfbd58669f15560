/// The endpoint's routing table: connection ID → a small integer (the endpoint's slot for the
/// connection), found without hashing.
///
/// Open addressing with linear probing over a power-of-two number of slots. A connection ID's
/// home slot is its low bits: they are random (`Specs/PROTOCOL.md` section 7.1), so they spread
/// evenly and need no hash function, and an attacker who does not know the IDs cannot make them
/// collide. Every probe compares the full 64-bit ID. Deletion shifts the following entries of the
/// run back (no tombstones), so a lookup never probes further than the longest run. The table
/// doubles when it would be more than half full and halves when it is less than an eighth full,
/// never below ``minimumCapacity`` slots.
///
/// ```swift
/// var table = ConnectionTable()
/// table.insert(ConnectionID(0x1234), value: 0)
/// table.find(ConnectionID(0x1234))   // 0
/// table.remove(ConnectionID(0x1234)) // 0
/// ```
struct ConnectionTable {
    /// The fewest slots the table ever has.
    static let minimumCapacity = 16

    /// The IDs in each slot; 0 (``ConnectionID/none``, never a connection's ID) marks an empty slot.
    private var keys: [UInt64]
    private var values: [Int]
    private var mask: Int
    /// Number of IDs in the table.
    private(set) var count = 0

    /// An empty table.
    init() {
        keys = Array(repeating: 0, count: Self.minimumCapacity)
        values = Array(repeating: 0, count: Self.minimumCapacity)
        mask = Self.minimumCapacity - 1
    }

    /// Number of slots (a power of two).
    var capacity: Int { keys.count }

    @inline(__always)
    private func home(_ key: UInt64) -> Int { Int(truncatingIfNeeded: key) & mask }

    /// The value stored for `id`, or nil.
    func find(_ id: ConnectionID) -> Int? {
        let key = id.rawValue
        if key == 0 { return nil }
        var i = home(key)
        while true {
            let k = keys[i]
            if k == key { return values[i] }
            if k == 0 { return nil }
            i = (i + 1) & mask
        }
    }

    /// Stores `value` for `id` (replacing an existing value). `id` must not be ``ConnectionID/none``.
    mutating func insert(_ id: ConnectionID, value: Int) {
        precondition(id != .none, "ConnectionTable: the zero ID cannot be stored")
        if (count + 1) * 2 > keys.count { resize(to: keys.count * 2) }
        let key = id.rawValue
        var i = home(key)
        while true {
            let k = keys[i]
            if k == key {
                values[i] = value
                return
            }
            if k == 0 {
                keys[i] = key
                values[i] = value
                count += 1
                return
            }
            i = (i + 1) & mask
        }
    }

    /// Removes `id` and returns its value, or nil if it was not there.
    @discardableResult
    mutating func remove(_ id: ConnectionID) -> Int? {
        let key = id.rawValue
        if key == 0 { return nil }
        var i = home(key)
        while keys[i] != key {
            if keys[i] == 0 { return nil }
            i = (i + 1) & mask
        }
        let removed = values[i]
        // Backward-shift deletion: move every later entry of the run whose home slot is not in
        // the (cyclic) range (i, j] into the hole, until the run ends.
        var j = i
        while true {
            j = (j + 1) & mask
            let k = keys[j]
            if k == 0 { break }
            let h = home(k)
            let stays = i <= j ? (i < h && h <= j) : (i < h || h <= j)
            if stays { continue }
            keys[i] = k
            values[i] = values[j]
            i = j
        }
        keys[i] = 0
        count -= 1
        if keys.count > Self.minimumCapacity && count * 8 < keys.count { resize(to: keys.count / 2) }
        return removed
    }

    /// Every (ID, value) pair, in slot order.
    var entries: [(id: ConnectionID, value: Int)] {
        var result: [(id: ConnectionID, value: Int)] = []
        result.reserveCapacity(count)
        for i in keys.indices where keys[i] != 0 { result.append((ConnectionID(keys[i]), values[i])) }
        return result
    }

    private mutating func resize(to newCapacity: Int) {
        let oldKeys = keys, oldValues = values
        keys = Array(repeating: 0, count: newCapacity)
        values = Array(repeating: 0, count: newCapacity)
        mask = newCapacity - 1
        for i in oldKeys.indices where oldKeys[i] != 0 {
            var j = home(oldKeys[i])
            while keys[j] != 0 { j = (j + 1) & mask }
            keys[j] = oldKeys[i]
            values[j] = oldValues[i]
        }
    }
}
