/// A first-in first-out ring of values in one contiguous allocation whose capacity is a power of
/// two: appending and removing at either end and indexing are O(1), with no hashing and no
/// allocation once the ring has grown to its working size.
///
/// The per-connection stores (``SentPacketStore``, ``SendQueue``) index it by sequence number
/// relative to their oldest entry. It grows on demand (doubling) and gives its storage back with
/// ``shrinkIfEmpty()``, so an idle connection holds no ring storage at all.
///
/// Unused slots hold the element type's ``RingElement/ringFiller``, so a released value (a
/// message's bytes, say) is not kept alive. The filler is a static of the type, not a stored
/// property: every connection holds three rings, and a stored filler cost the size of one
/// element each (120 bytes of every idle connection's state).
struct RingBuffer<Element: RingElement> {
    private var storage: ContiguousArray<Element> = []
    private var head = 0
    private(set) var count = 0
    @inline(__always)
    private var filler: Element { Element.ringFiller }

    init() {}

    var isEmpty: Bool { count == 0 }
    var capacity: Int { storage.count }

    @inline(__always)
    private func slot(_ index: Int) -> Int { (head &+ index) & (storage.count &- 1) }

    /// The element `index` places after the oldest (0 is the oldest).
    subscript(index: Int) -> Element {
        @inline(__always) _read {
            precondition(index >= 0 && index < count, "ring index out of range")
            yield storage[slot(index)]
        }
        @inline(__always) _modify {
            precondition(index >= 0 && index < count, "ring index out of range")
            yield &storage[slot(index)]
        }
    }

    var first: Element? { count == 0 ? nil : storage[head] }
    var last: Element? { count == 0 ? nil : storage[slot(count - 1)] }

    /// Appends `element`, moved in (no copy of it, no retain of what it holds).
    mutating func append(_ element: consuming Element) {
        if count == storage.count { grow() }
        storage[slot(count)] = element
        count += 1
    }

    mutating func prepend(_ element: Element) {
        if count == storage.count { grow() }
        head = (head &- 1) & (storage.count &- 1)
        storage[head] = element
        count += 1
    }

    @discardableResult
    mutating func removeFirst() -> Element {
        precondition(count > 0, "removeFirst on an empty ring")
        let element = storage[head]
        storage[head] = filler
        head = (head &+ 1) & (storage.count &- 1)
        count -= 1
        return element
    }

    /// Removes the first element without handing it back (no copy of it).
    mutating func dropFirst() {
        precondition(count > 0, "dropFirst on an empty ring")
        storage[head] = filler
        head = (head &+ 1) & (storage.count &- 1)
        count -= 1
    }

    /// Removes the first element without writing the filler over it: only for an element the
    /// caller has already emptied in place (it keeps nothing alive, as the filler does), so
    /// that nothing is copied or destroyed here.
    mutating func dropEmptiedFirst() {
        precondition(count > 0, "dropEmptiedFirst on an empty ring")
        head = (head &+ 1) & (storage.count &- 1)
        count -= 1
    }

    mutating func popFirst() -> Element? {
        count == 0 ? nil : removeFirst()
    }

    /// Removes the first `n` elements.
    mutating func removeFirst(_ n: Int) {
        for _ in 0..<n { dropFirst() }
    }

    /// Removes every element; keeps the storage unless `keepingCapacity` is false.
    mutating func removeAll(keepingCapacity: Bool = false) {
        if keepingCapacity {
            while count > 0 { dropFirst() }
            head = 0
        } else {
            storage = []
            head = 0
            count = 0
        }
    }

    /// Gives the storage back if the ring is empty.
    mutating func shrinkIfEmpty() {
        if count == 0 && !storage.isEmpty { removeAll() }
    }

    private mutating func grow() {
        let newCapacity = Swift.max(8, storage.count * 2)
        var grown = ContiguousArray<Element>(repeating: filler, count: newCapacity)
        for i in 0..<count { grown[i] = storage[slot(i)] }
        storage = grown
        head = 0
    }
}

/// An element of a ``RingBuffer``: the value its unused slots hold.
protocol RingElement {
    /// A value that keeps nothing alive (no array, no object), written over released slots.
    static var ringFiller: Self { get }
}
