import NIOCore
import RUDPCore

/// The datagrams one service step produced, written with as few buffers and system calls as
/// possible: the engine writes them straight into one `ByteBuffer`'s storage
/// (``Endpoint/pollTransmit(into:maxSegments:at:)``), in batches of equal-sized datagrams for
/// one peer, and each batch leaves as one UDP GSO write (the kernel splits it into segments),
/// or as one write per datagram without GSO. The buffer is reused from step to step
/// (``recycle()``) once NIO has written the previous step's slices.
///
/// ```swift
/// var batch = DatagramBatch(usesSegmentation: true)
/// let (datagrams, bytes) = batch.fill(from: endpoint, addresses: &addresses, allocator: allocator, at: now)
/// batch.write(to: context) { error in ... }
/// ```
struct DatagramBatch {
    /// Most segments in one GSO write (Linux allows 64; 32 keeps each write well under 64 KiB).
    static let maximumSegments = 32
    /// Largest payload of one GSO write.
    static let maximumSegmentedBytes = 65_000

    /// One write: a run of datagrams in ``buffer``.
    private struct Run {
        var offset: Int
        var byteCount: Int
        var segmentSize: Int
        var segmentCount: Int
        var destination: SocketAddress
    }

    private var buffer: ByteBuffer?
    private var runs: [Run] = []
    /// Whether `write` handed slices of `buffer` to NIO in this service step. They stay
    /// referenced until the flush, so writing into `buffer` again would make NIO copy its whole
    /// storage (64 KiB) first: that copy, on every step that polled the engine twice, added
    /// 20-30 µs to each paced message's latency.
    private var handedOutSlices = false
    /// Where `fill` polls the engine while `handedOutSlices`: the usual answer, nothing to send,
    /// then costs no buffer at all.
    private var scratch: [UInt8] = []
    /// Whether to use UDP GSO (Linux with kernel support). Turned off for good when a
    /// segmented write fails (the datagrams of that write are then recovered by retransmission).
    var usesSegmentation: Bool

    /// A batch that uses GSO if `usesSegmentation` asks for it and the kernel offers it.
    init(usesSegmentation: Bool) {
        self.usesSegmentation = usesSegmentation && System.supportsUDPSegmentationOffload
    }

    var isEmpty: Bool { runs.isEmpty }

    /// Takes everything the endpoint has to send now into the buffer; returns how many datagrams
    /// and bytes. Datagrams for a peer address that is not an IP address are dropped.
    mutating func fill(
        from endpoint: Endpoint, addresses: inout SocketAddressCache, allocator: ByteBufferAllocator,
        at now: Timestamp
    ) -> (datagrams: Int, bytes: Int) {
        fill(maximumDatagramSize: endpoint.maximumDatagramSize, addresses: &addresses, allocator: allocator) { buffer, segments in
            endpoint.pollTransmit(into: buffer, maxSegments: segments, at: now)
        }
    }

    /// Takes everything `poll` has to send into the buffer, as ``fill(from:addresses:allocator:at:)``
    /// does with an endpoint's `pollTransmit(into:maxSegments:at:)`: `poll` writes up to its
    /// second argument datagrams of at most `maximumDatagramSize` bytes for one destination into
    /// its first and describes them, or returns nil. The raw-UDP baseline of `rudp bench`
    /// (``RawDatagramQueue``) sends through here, so both measure the same write path.
    mutating func fill(
        maximumDatagramSize maximumDatagram: Int, addresses: inout SocketAddressCache, allocator: ByteBufferAllocator,
        poll: (UnsafeMutableRawBufferPointer, Int) -> Transmit?
    ) -> (datagrams: Int, bytes: Int) {
        let segments = max(1, min(Self.maximumSegments, Self.maximumSegmentedBytes / maximumDatagram))
        let room = segments * maximumDatagram
        var datagrams = 0, bytes = 0
        if handedOutSlices {
            // Poll into scratch first: nothing to send (the usual case) leaves the buffer alone.
            if scratch.count < room { scratch = [UInt8](repeating: 0, count: room) }
            let first = scratch.withUnsafeMutableBytes { raw in
                poll(UnsafeMutableRawBufferPointer(rebasing: raw[..<room]), segments)
            }
            guard let first else { return (0, 0) }
            // Something to send: continue in a fresh buffer (the old storage belongs to NIO until the flush).
            var fresh = allocator.buffer(capacity: room)
            fresh.writeBytes(scratch[..<first.byteCount])
            datagrams += first.segmentCount
            bytes += first.byteCount
            if let destination = addresses.socketAddress(for: first.destination) {
                runs.append(
                    Run(
                        offset: 0, byteCount: first.byteCount, segmentSize: first.segmentSize,
                        segmentCount: first.segmentCount, destination: destination))
            } else {
                fresh.clear()
            }
            self.buffer = fresh
            handedOutSlices = false
        }
        var buffer = self.buffer ?? allocator.buffer(capacity: room)
        self.buffer = nil
        while true {
            var transmit: Transmit?
            let offset = buffer.writerIndex - buffer.readerIndex
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: room) { raw in
                transmit = poll(UnsafeMutableRawBufferPointer(rebasing: raw[..<room]), segments)
                return transmit?.byteCount ?? 0
            }
            guard let transmit else { break }
            datagrams += transmit.segmentCount
            bytes += transmit.byteCount
            guard let destination = addresses.socketAddress(for: transmit.destination) else {
                buffer.moveWriterIndex(to: buffer.writerIndex - transmit.byteCount)
                continue
            }
            runs.append(
                Run(
                    offset: offset, byteCount: transmit.byteCount, segmentSize: transmit.segmentSize,
                    segmentCount: transmit.segmentCount, destination: destination))
        }
        self.buffer = buffer
        return (datagrams, bytes)
    }

    /// Writes everything (without flushing) and empties the batch. `onSegmentationFailure` runs
    /// (on the event loop) if a segmented write fails. `onLastWriteFailure`, if given, runs if the
    /// batch's last plain write fails: a write error closes a NIO datagram channel and fails every
    /// write still pending with it, so one promise on the last write sees any error of the batch.
    mutating func write(
        to context: ChannelHandlerContext, onSegmentationFailure: @escaping @Sendable (any Error) -> Void,
        onLastWriteFailure: (@Sendable (any Error) -> Void)? = nil
    ) {
        guard !runs.isEmpty, let buffer else { return }
        for (index, run) in runs.enumerated() {
            if run.segmentCount > 1 && usesSegmentation {
                let slice = buffer.getSlice(at: buffer.readerIndex + run.offset, length: run.byteCount)!
                let metadata = AddressedEnvelope<ByteBuffer>.Metadata(
                    ecnState: .transportNotCapable, packetInfo: nil, segmentSize: run.segmentSize)
                let promise = context.eventLoop.makePromise(of: Void.self)
                promise.futureResult.whenFailure(onSegmentationFailure)
                context.write(NIOAny(AddressedEnvelope(remoteAddress: run.destination, data: slice, metadata: metadata)), promise: promise)
                continue
            }
            var offset = run.offset
            let end = run.offset + run.byteCount
            while offset < end {
                let size = min(run.segmentSize, end - offset)
                let slice = buffer.getSlice(at: buffer.readerIndex + offset, length: size)!
                var promise: EventLoopPromise<Void>? = nil
                if let onLastWriteFailure, index == runs.count - 1, offset + size == end {
                    promise = context.eventLoop.makePromise(of: Void.self)
                    promise!.futureResult.whenFailure(onLastWriteFailure)
                }
                context.write(NIOAny(AddressedEnvelope(remoteAddress: run.destination, data: slice)), promise: promise)
                offset += size
            }
        }
        runs.removeAll(keepingCapacity: true)
        handedOutSlices = true
    }

    /// Starts a new service step: the buffer's bytes were written and flushed in an earlier one,
    /// so its storage is reused (NIO has usually released the slices by now; if not, `clear`
    /// gives the buffer new storage and leaves the old one to the pending writes).
    mutating func recycle() {
        guard runs.isEmpty else { return }
        handedOutSlices = false
        buffer?.clear()
    }
}
