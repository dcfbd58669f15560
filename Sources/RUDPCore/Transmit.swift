/// What ``Endpoint/pollTransmit(into:at:)`` wrote into the caller's buffer: one datagram, or
/// (from ``Endpoint/pollTransmit(into:maxSegments:at:)``) several datagrams for one destination
/// laid back to back, all ``segmentSize`` bytes long except perhaps the last, which may be
/// shorter: the shape UDP segmentation offload (GSO) sends with one system call.
///
/// ```swift
/// var buffer = [UInt8](repeating: 0, count: 16 * endpoint.maximumDatagramSize)
/// while let transmit = buffer.withUnsafeMutableBytes({ endpoint.pollTransmit(into: $0, maxSegments: 16, at: now) }) {
///     for i in 0..<transmit.segmentCount {
///         let start = i * transmit.segmentSize
///         send(buffer[start ..< min(start + transmit.segmentSize, transmit.byteCount)], to: transmit.destination)
///     }
/// }
/// ```
public struct Transmit: Hashable, Sendable {
    /// Where the datagrams go.
    public var destination: PeerAddress
    /// Bytes written from the start of the buffer: every datagram together.
    public var byteCount: Int
    /// Size of each datagram but the last (which is at most this); for one datagram, its size.
    public var segmentSize: Int
    /// Number of datagrams (at least 1).
    public var segmentCount: Int

    /// A transmit of `segmentCount` datagrams to `destination`, `byteCount` bytes in all.
    public init(destination: PeerAddress, byteCount: Int, segmentSize: Int, segmentCount: Int) {
        self.destination = destination
        self.byteCount = byteCount
        self.segmentSize = segmentSize
        self.segmentCount = segmentCount
    }

    /// The size of datagram `index` (0 ..< ``segmentCount``).
    public func size(ofSegment index: Int) -> Int {
        min(segmentSize, byteCount - index * segmentSize)
    }
}
