/// The bytes of the datagrams on the simulated links: buffers ("slots") that nodes write their
/// datagrams into and read them from, reused from one datagram to the next, so that a datagram
/// costs no allocation and no copy on its way through ``NetworkSimulator``.
///
/// A slot is taken with room for a datagram, written, then either handed to the deliveries that
/// will read it (``hold(_:count:deliveries:)``) or given back (``giveBack(_:)``); each delivery
/// ``release(_:)``s it once, and the last one gives it back. The owner calls
/// ``deallocateAll()`` when it is done.
///
/// ```swift
/// var store = DatagramStore()
/// let slot = store.take(capacity: 1500)
/// let count = write(into: store.buffer(slot))
/// store.hold(slot, count: count, deliveries: 1)
/// read(store.bytes(slot))
/// store.release(slot)
/// ```
struct DatagramStore {
    private struct Slot {
        var buffer: UnsafeMutableRawBufferPointer
        /// Bytes written.
        var count = 0
        /// Deliveries that still have to read the bytes.
        var deliveries = 0
    }

    /// The smallest buffer a slot gets (a datagram of the usual sizes fits without growing).
    static let minimumCapacity = 2048

    private var slots: [Slot] = []
    private var free: [Int] = []

    /// A free slot whose buffer holds at least `capacity` bytes.
    mutating func take(capacity: Int) -> Int {
        if let slot = free.popLast() {
            if slots[slot].buffer.count < capacity {
                slots[slot].buffer.deallocate()
                slots[slot].buffer = .allocate(byteCount: max(capacity, Self.minimumCapacity), alignment: 16)
            }
            return slot
        }
        slots.append(Slot(buffer: .allocate(byteCount: max(capacity, Self.minimumCapacity), alignment: 16)))
        return slots.count - 1
    }

    /// The whole buffer of a slot, to write into.
    func buffer(_ slot: Int) -> UnsafeMutableRawBufferPointer {
        slots[slot].buffer
    }

    /// The datagram written into a held slot.
    func bytes(_ slot: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: slots[slot].buffer.baseAddress, count: slots[slot].count)
    }

    /// The size of the datagram written into a slot.
    func count(_ slot: Int) -> Int {
        slots[slot].count
    }

    /// Records that `count` bytes were written into the slot and that `deliveries` will read them.
    mutating func hold(_ slot: Int, count: Int, deliveries: Int) {
        slots[slot].count = count
        slots[slot].deliveries = deliveries
    }

    /// One delivery has read the slot; the last one frees it.
    mutating func release(_ slot: Int) {
        slots[slot].deliveries -= 1
        if slots[slot].deliveries <= 0 { free.append(slot) }
    }

    /// Frees a slot that was taken but not held (nothing to send, or the datagram was dropped).
    mutating func giveBack(_ slot: Int) {
        slots[slot].deliveries = 0
        free.append(slot)
    }

    /// Frees every buffer; the store is empty afterwards.
    mutating func deallocateAll() {
        for slot in slots { slot.buffer.deallocate() }
        slots.removeAll()
        free.removeAll()
    }
}
