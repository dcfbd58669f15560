/// The ``Endpoint``'s timers: a binary min-heap of (deadline, serial, slot) entries, one live
/// entry per connection with a deadline. An entry is live while its serial is the one its slot
/// holds; rescheduling a connection pushes a new entry and leaves the old one to be discarded
/// when it reaches the top (or by ``compact(keeping:)``), so nothing is ever searched for.
///
/// ```swift
/// var heap = TimerHeap()
/// heap.insert(TimerHeap.Entry(deadline: 5_000, serial: 1, slot: 0))
/// heap.min?.deadline   // 5_000
/// ```
struct TimerHeap {
    /// A deadline (nanoseconds), the serial number of the scheduling that made it, and the slot.
    struct Entry {
        var deadline: UInt64
        var serial: UInt64
        var slot: Int

        /// Earlier deadline first; equal deadlines in the order they were scheduled.
        @inline(__always)
        static func precedes(_ a: Entry, _ b: Entry) -> Bool {
            a.deadline < b.deadline || (a.deadline == b.deadline && a.serial < b.serial)
        }
    }

    private var entries: ContiguousArray<Entry> = []

    /// Number of entries, stale ones included.
    var count: Int { entries.count }

    /// The earliest entry, or nil.
    @inline(__always)
    var min: Entry? { entries.first }

    mutating func insert(_ entry: Entry) {
        entries.append(entry)
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Entry.precedes(entry, entries[parent]) else { break }
            entries[child] = entries[parent]
            child = parent
        }
        entries[child] = entry
    }

    /// Removes the earliest entry; the heap must not be empty.
    mutating func removeMin() {
        let last = entries.removeLast()
        if entries.isEmpty { return }
        var parent = 0
        let count = entries.count
        while true {
            var child = 2 * parent + 1
            if child >= count { break }
            if child + 1 < count && Entry.precedes(entries[child + 1], entries[child]) { child += 1 }
            guard Entry.precedes(entries[child], last) else { break }
            entries[parent] = entries[child]
            parent = child
        }
        entries[parent] = last
    }

    /// Keeps only the entries for which `isLive` is true (and gives back the memory of the rest).
    mutating func compact(keeping isLive: (Entry) -> Bool) {
        let live = entries.filter(isLive)
        entries = []
        entries.reserveCapacity(live.count)
        for entry in live { insert(entry) }
    }
}
