import RUDPCore

/// A node's buffer for `Endpoint.pollTransmit(into:at:)`: the endpoint writes each datagram
/// into it, and the node copies the bytes into an array of exactly their size to put on a
/// simulated link (which holds it until delivery).
///
/// ```swift
/// var scratch = TransmitScratch()
/// while let (datagram, destination) = scratch.poll(endpoint, at: now) { send(datagram, to: destination) }
/// ```
public struct TransmitScratch {
    private var buffer: [UInt8] = []

    /// An empty scratch buffer (sized on first use).
    public init() {}

    /// The endpoint's next datagram and the node it goes to, or nil.
    public mutating func poll(_ endpoint: Endpoint, at now: Timestamp) -> (datagram: [UInt8], destination: SimulatedAddress)? {
        if buffer.count < endpoint.maximumDatagramSize {
            buffer = [UInt8](repeating: 0, count: endpoint.maximumDatagramSize)
        }
        return buffer.withUnsafeMutableBytes { raw -> (datagram: [UInt8], destination: SimulatedAddress)? in
            guard let transmit = endpoint.pollTransmit(into: raw, at: now) else { return nil }
            return (Array(UnsafeRawBufferPointer(rebasing: raw[..<transmit.byteCount])), SimulatedAddress(transmit.destination))
        }
    }
}
