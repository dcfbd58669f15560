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
/// most ``capacityLimit`` bytes are kept, per endpoint. `package`: the raw-UDP baseline of
/// `rudp bench --baseline` (in `RUDP`) delivers its datagrams through one too, as the engine does.
///
/// ```swift
/// var recycler = MessageBufferRecycler()
/// recycler.recycle(delivered.buffer)                // credit released
/// let next = recycler.message(copying: payload)     // in the same storage if nobody holds it
/// ```
package struct MessageBufferRecycler {
    /// Most buffers kept: more than the datagrams a transport takes in one batch, so a batch's
    /// messages released after the batch all find one.
    package static let limit = 32
    /// Largest capacity kept, in bytes: messages that fit in a datagram (larger ones are rare
    /// and would hold memory for little gain).
    package static let capacityLimit = 2_048

    private var spares: ContiguousArray<ByteBuffer> = []

    /// Buffers kept now.
    package var count: Int { spares.count }

    /// No buffers kept.
    package init() {}

    /// Keeps `buffer` (a released message's) for a later message, if there is room and it is small.
    package mutating func recycle(_ buffer: ByteBuffer) {
        guard buffer.capacity <= Self.capacityLimit, buffer.capacity > 0, spares.count < Self.limit else { return }
        spares.append(buffer)
    }

    /// A new message holding a copy of `payload`, in a kept buffer when the last one kept fits it
    /// (no more than twice the size, so little memory is wasted); otherwise in a new buffer.
    package mutating func message(copying payload: UnsafeRawBufferPointer) -> ByteBuffer {
        guard var buffer = spares.popLast() else { return Self.buffer(copying: payload) }
        let capacity = buffer.capacity
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
    }
}
