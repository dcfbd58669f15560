import NIOCore

/// Buffers of delivered messages whose credit the application released, kept to carry later
/// messages of about the same size: a fresh `ByteBuffer` costs two allocations (its storage
/// object and its bytes), and a 1 KiB message's bytes are just above glibc's per-thread cache
/// limit (1,032 bytes), so each fresh one costs a trip through the allocator's bins.
///
/// ``recycle(_:)`` keeps the buffer of a released message (small ones only, a bounded number),
/// ``message(copying:)`` hands out a copy of a payload in the most recently kept buffer. The
/// application may still hold the buffer it released: buffers are copy-on-write values, so
/// reusing a kept one that is not uniquely referenced allocates fresh storage (what would have
/// happened anyway) and never touches the application's copy. At most ``limit`` buffers of at
/// most ``capacityLimit`` bytes are kept, and at most ``byteLimit`` bytes of capacity together,
/// per endpoint. `package`: the raw-UDP baseline of
/// `rudp bench --baseline` (in `RUDP`) delivers its datagrams through one too, as the engine does.
///
/// ```swift
/// var recycler = MessageBufferRecycler()
/// recycler.recycle(delivered.buffer)                // credit released
/// let next = recycler.message(copying: payload)     // in the same storage if nobody holds it
/// ```
package struct MessageBufferRecycler {
    /// Most buffers kept. A loss holds every later message of the flight for reordering, each
    /// in a buffer of its own, until the retransmission arrives; they are released together
    /// once it does. A bulk transfer at 10% loss holds several hundred 1 KiB messages so: with
    /// 32 kept (the former limit, a transport's read batch) 86% of its delivered messages found
    /// no buffer and took two allocations and two frees each (callgrind driver: ~1,000
    /// instructions per message). The memory is what the flight held anyway, and glibc mostly
    /// keeps freed chunks of this size in the heap rather than giving them back to the system.
    package static let limit = 1_024
    /// Most bytes kept, the buffers' capacities together: 1,024 buffers of 1 KiB.
    package static let byteLimit = 1 << 20
    /// Largest capacity kept, in bytes: messages that fit in a datagram (larger ones are rare
    /// and would hold memory for little gain).
    package static let capacityLimit = 2_048

    private var spares: ContiguousArray<ByteBuffer> = []
    /// The capacities of `spares` together.
    private var spareBytes = 0

    /// Buffers kept now.
    package var count: Int { spares.count }

    /// No buffers kept.
    package init() {}

    /// Keeps `buffer` (a released message's) for a later message, if there is room and it is small.
    package mutating func recycle(_ buffer: ByteBuffer) {
        let capacity = buffer.capacity
        guard capacity <= Self.capacityLimit, capacity > 0, spares.count < Self.limit, spareBytes + capacity <= Self.byteLimit
        else { return }
        spares.append(buffer)
        spareBytes += capacity
    }

    /// A new message holding a copy of `payload`, in a kept buffer when the last one kept fits it
    /// (no more than twice the size, so little memory is wasted); otherwise in a new buffer.
    package mutating func message(copying payload: UnsafeRawBufferPointer) -> ByteBuffer {
        guard var buffer = spares.popLast() else { return Self.buffer(copying: payload) }
        let capacity = buffer.capacity
        spareBytes -= capacity
        guard capacity >= payload.count && capacity <= 2 * payload.count + 64 else { return Self.buffer(copying: payload) }
        // Emptied by moving its indices (no access to the storage object), then written through
        // one pointer: in place when the storage is uniquely referenced, otherwise in a copy.
        // `clear()` + `writeBytes` read the storage object's class properties twice, each
        // through a run-time exclusivity check.
        buffer.moveReaderIndex(to: 0)
        buffer.moveWriterIndex(to: 0)
        Self.write(payload, into: &buffer)
        return buffer
    }

    /// A new message holding a copy of `payload`: from `recycler` (an endpoint's, by pointer, so
    /// no reference count moves per message) when there is one, else in a new buffer.
    @inline(__always)
    package static func message(
        copying payload: UnsafeRawBufferPointer, from recycler: UnsafeMutablePointer<MessageBufferRecycler>?
    ) -> ByteBuffer {
        recycler?.pointee.message(copying: payload) ?? buffer(copying: payload)
    }

    /// A new buffer of exactly `payload.count` bytes' capacity holding a copy of them.
    @inline(__always)
    package static func buffer(copying payload: UnsafeRawBufferPointer) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: payload.count)
        write(payload, into: &buffer)
        return buffer
    }

    /// Appends `payload` to `buffer` (which has room for it): one pointer to the storage, one copy.
    @inline(__always)
    private static func write(_ payload: UnsafeRawBufferPointer, into buffer: inout ByteBuffer) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: payload.count) { target in
            UnsafeMutableRawBufferPointer(rebasing: target[..<payload.count]).copyMemory(from: payload)
            return payload.count
        }
    }

    /// Lets every kept buffer go.
    package mutating func removeAll() {
        spares = []
        spareBytes = 0
    }
}
