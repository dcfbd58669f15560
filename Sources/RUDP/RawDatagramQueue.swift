import DequeModule
import NIOCore
import RUDPCore

/// The messages a raw-UDP baseline sender (``RawDatagramSender``) has taken from its mailbox but
/// not yet written, each to leave as one datagram: the stand-in for the engine's output in
/// `rudp bench --baseline`. ``poll(into:maxSegments:)`` has the shape of the engine's
/// `pollTransmit(into:maxSegments:at:)`, so ``DatagramBatch`` writes both alike (runs of
/// equal-sized datagrams as one GSO write), and it copies each message once, into the socket's
/// buffer, as the engine does.
///
/// Confined to the sender's event loop.
///
/// ```swift
/// var queue = RawDatagramQueue(destination: peer)
/// queue.append(ByteBuffer(repeating: 0, count: 1024))
/// let (datagrams, bytes) = batch.fill(maximumDatagramSize: 1200, addresses: &addresses, allocator: allocator) {
///     queue.poll(into: $0, maxSegments: $1)
/// }
/// ```
struct RawDatagramQueue {
    /// Where every datagram goes.
    let destination: PeerAddress
    private var messages: Deque<ByteBuffer> = []

    init(destination: PeerAddress) {
        self.destination = destination
    }

    /// Messages waiting.
    var count: Int { messages.count }

    /// Queues `message` (its readable bytes, held by reference) to leave as one datagram.
    mutating func append(_ message: ByteBuffer) {
        messages.append(message)
    }

    /// Writes the next messages into `buffer`, back to back: the first sets the segment size, up
    /// to `maxSegments` more of that size follow, and a shorter one may end the run (the shape
    /// UDP GSO sends). Returns nil when nothing waits; a message larger than `buffer` (callers
    /// check sizes first) is dropped.
    mutating func poll(into buffer: UnsafeMutableRawBufferPointer, maxSegments: Int) -> Transmit? {
        while let first = messages.first, first.readableBytes > buffer.count {
            messages.removeFirst()
        }
        guard let first = messages.first else { return nil }
        let segmentSize = first.readableBytes
        var written = 0, segments = 0
        while segments < max(1, maxSegments), let next = messages.first,
            next.readableBytes <= segmentSize, written + next.readableBytes <= buffer.count
        {
            let count = next.readableBytes
            next.withUnsafeReadableBytes { bytes in
                if let base = bytes.baseAddress, bytes.count > 0 {
                    (buffer.baseAddress! + written).copyMemory(from: base, byteCount: bytes.count)
                }
            }
            messages.removeFirst()
            written += count
            segments += 1
            if count < segmentSize { break }  // a shorter datagram ends a GSO run
        }
        return Transmit(destination: destination, byteCount: written, segmentSize: segmentSize, segmentCount: segments)
    }
}
