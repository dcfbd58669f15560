import NIOCore

/// The datagrams one service step produced, written with as few buffers and system calls as
/// possible: all bytes go into one `ByteBuffer`, and consecutive datagrams of equal size to the
/// same peer leave as one UDP GSO write (the kernel splits it into segments).
struct DatagramBatch {
    /// Most segments in one GSO write (Linux allows 64; 32 keeps each write well under 64 KiB).
    static let maximumSegments = 32
    /// Largest payload of one GSO write.
    static let maximumSegmentedBytes = 65_000

    private var datagrams: [(bytes: [UInt8], destination: SocketAddress)] = []
    private var totalBytes = 0
    /// Whether to use UDP GSO (Linux with kernel support). Turned off for good when a
    /// segmented write fails (the datagrams of that write are then recovered by retransmission).
    var usesSegmentation: Bool

    init(usesSegmentation: Bool) {
        self.usesSegmentation = usesSegmentation
    }

    var isEmpty: Bool { datagrams.isEmpty }

    mutating func append(_ bytes: [UInt8], to destination: SocketAddress) {
        datagrams.append((bytes, destination))
        totalBytes += bytes.count
    }

    /// Writes everything (without flushing) and empties the batch. `onSegmentationFailure` runs
    /// (on the event loop) if a segmented write fails.
    mutating func write(to context: ChannelHandlerContext, onSegmentationFailure: @escaping @Sendable (any Error) -> Void) {
        guard !datagrams.isEmpty else { return }
        var buffer = context.channel.allocator.buffer(capacity: totalBytes)
        for datagram in datagrams { buffer.writeBytes(datagram.bytes) }
        var index = 0
        var offset = 0
        while index < datagrams.count {
            let first = datagrams[index]
            let segmentSize = first.bytes.count
            var end = index + 1
            var runBytes = segmentSize
            if usesSegmentation {
                // Equal-size datagrams to the same peer; the last one may be shorter.
                while end < datagrams.count, end - index < Self.maximumSegments {
                    let next = datagrams[end]
                    guard next.bytes.count <= segmentSize, runBytes + next.bytes.count <= Self.maximumSegmentedBytes,
                          next.destination == first.destination else { break }
                    runBytes += next.bytes.count
                    end += 1
                    if next.bytes.count < segmentSize { break }
                }
            }
            let slice = buffer.getSlice(at: buffer.readerIndex + offset, length: runBytes)!
            if end - index > 1 {
                let metadata = AddressedEnvelope<ByteBuffer>.Metadata(ecnState: .transportNotCapable, packetInfo: nil, segmentSize: segmentSize)
                let promise = context.eventLoop.makePromise(of: Void.self)
                promise.futureResult.whenFailure(onSegmentationFailure)
                context.write(NIOAny(AddressedEnvelope(remoteAddress: first.destination, data: slice, metadata: metadata)), promise: promise)
            } else {
                context.write(NIOAny(AddressedEnvelope(remoteAddress: first.destination, data: slice)), promise: nil)
            }
            offset += runBytes
            index = end
        }
        datagrams.removeAll(keepingCapacity: true)
        totalBytes = 0
    }
}
