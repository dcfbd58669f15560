/// Arrays of delivered messages whose credit the application released, kept to carry later
/// messages of about the same size: a 1 KiB message's array (1,056 bytes with its header) is
/// just above glibc's per-thread cache limit (1,032 bytes), so each fresh one costs a trip
/// through the allocator's bins (~700 instructions for the allocation and its free, about a
/// tenth of a message's cost in the minimal driver).
///
/// ``recycle(_:)`` keeps the array of a released message (small ones only, a bounded number),
/// ``message(copying:)`` hands out a copy of a payload in the most recently kept array. The
/// application may still hold the array it released: arrays are values, so reusing a kept one
/// that is not uniquely referenced allocates a fresh buffer (what would have happened anyway)
/// and never touches the application's copy. At most ``limit`` arrays of at most
/// ``capacityLimit`` bytes are kept, per endpoint.
///
/// ```swift
/// var recycler = MessageBufferRecycler()
/// recycler.recycle(delivered.bytes)                 // credit released
/// let next = recycler.message(copying: payload)     // in the same storage if nobody holds it
/// ```
struct MessageBufferRecycler {
    /// Most arrays kept: more than the datagrams a transport takes in one batch, so a batch's
    /// messages released after the batch all find one.
    static let limit = 32
    /// Largest capacity kept, in bytes: messages that fit in a datagram (larger ones are rare
    /// and would hold memory for little gain).
    static let capacityLimit = 2_048

    private var spares: ContiguousArray<[UInt8]> = []

    /// Arrays kept now.
    var count: Int { spares.count }

    /// Keeps `bytes` (a released message's array) for a later message, if there is room and it is small.
    mutating func recycle(_ bytes: [UInt8]) {
        guard bytes.capacity <= Self.capacityLimit, !bytes.isEmpty, spares.count < Self.limit else { return }
        spares.append(bytes)
    }

    /// A new message holding a copy of `payload`, in a kept array when the last one kept fits it
    /// (no more than twice the size, so little memory is wasted); otherwise in a new array.
    mutating func message(copying payload: UnsafeRawBufferPointer) -> [UInt8] {
        guard var bytes = spares.popLast() else { return Array(payload) }
        let capacity = bytes.capacity
        guard capacity >= payload.count && capacity <= 2 * payload.count + 64 else { return Array(payload) }
        // In place when `bytes` is uniquely referenced; otherwise into a new buffer.
        bytes.replaceSubrange(0..<bytes.count, with: payload)
        return bytes
    }

    /// Lets every kept array go.
    mutating func removeAll() {
        spares = []
    }
}
