import RUDPCore

/// Datagrams in flight in one direction: their bytes back to back in one array that the
/// sending endpoint writes into (``Endpoint/pollTransmit(into:maxSegments:at:)``), and the
/// offset and size of each one that was not lost. Reused from round to round: no allocation
/// per datagram.
///
/// ```swift
/// var queue = DatagramQueue()
/// while let transmit = queue.fill(from: endpoint, maxSegments: 16, at: now) {
///     for i in 0..<transmit.segmentCount { queue.keep(segment: i, of: transmit) }
///     queue.commit(transmit)
/// }
/// ```
struct DatagramQueue {
    private var bytes: [UInt8] = []
    private var used = 0
    private var offsets: [Int] = []
    private var sizes: [Int] = []

    /// Number of datagrams kept.
    var count: Int { offsets.count }

    /// Lets `endpoint` write its next transmit after the bytes in use; returns it (its bytes
    /// are not kept until ``commit(_:)``).
    mutating func fill(from endpoint: Endpoint, maxSegments: Int, at now: Timestamp) -> Transmit? {
        let room = maxSegments * endpoint.maximumDatagramSize
        if bytes.count - used < room { bytes.append(contentsOf: repeatElement(0, count: max(room, bytes.count))) }
        let start = used
        return bytes.withUnsafeMutableBytes { raw in
            endpoint.pollTransmit(
                into: UnsafeMutableRawBufferPointer(rebasing: raw[start..<start + room]), maxSegments: maxSegments, at: now)
        }
    }

    /// Keeps datagram `index` of the transmit written last.
    mutating func keep(segment index: Int, of transmit: Transmit) {
        offsets.append(used + index * transmit.segmentSize)
        sizes.append(transmit.size(ofSegment: index))
    }

    /// Marks the transmit's bytes as used.
    mutating func commit(_ transmit: Transmit) {
        used += transmit.byteCount
    }

    /// Calls `body` with the bytes of datagram `index`.
    func withDatagram(_ index: Int, _ body: (UnsafeRawBufferPointer) -> Void) {
        bytes.withUnsafeBytes { raw in body(UnsafeRawBufferPointer(rebasing: raw[offsets[index]..<offsets[index] + sizes[index]])) }
    }

    /// Forgets every datagram, keeping the storage.
    mutating func removeAll() {
        used = 0
        offsets.removeAll(keepingCapacity: true)
        sizes.removeAll(keepingCapacity: true)
    }

    var isEmpty: Bool { offsets.isEmpty }
}
