import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// UDP generic receive offload (GRO): the kernel hands a socket several datagrams of one flow
/// in one read, coalesced back to back, and reports their size (every segment that size except
/// possibly the last). One read then costs one system call, one socket-buffer dequeue and one
/// channel read for up to 64 KiB, the receiving counterpart of the GSO writes of
/// ``DatagramBatch``.
///
/// With vector reads (recvmmsg) NIO gives every read slot an equal share of the receive
/// allocator's buffer, and the kernel truncates silently what does not fit in a slot, so with
/// GRO every slot must hold ``slotBytes``. The buffer is reused from read to read (the engine
/// keeps nothing of it), and pages the kernel never writes are never touched.
enum ReceiveOffload {
    /// The largest read GRO can produce: a UDP datagram's length field bounds the coalesced
    /// payload (the kernel caps it below 64 KiB).
    static let slotBytes = 65_536

    /// Calls `body` with each datagram of a read, in order: `bytes` itself unless `segmentSize`
    /// (the read's `AddressedEnvelope.Metadata.segmentSize`) says it holds several; then slices of
    /// `bytes`, not copies, each `segmentSize` bytes long except possibly the last.
    @inline(__always)
    static func forEachSegment(
        of bytes: UnsafeRawBufferPointer, segmentSize: Int?,
        _ body: (UnsafeRawBufferPointer) throws -> Void
    ) rethrows {
        guard let segmentSize, segmentSize > 0, bytes.count > segmentSize else {
            try body(bytes)
            return
        }
        var start = 0
        while start < bytes.count {
            let end = min(start + segmentSize, bytes.count)
            try body(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
            start = end
        }
    }
}
