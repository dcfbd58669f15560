import RUDPCore

/// A ``SimulatedNode`` that reads and writes datagrams in the simulator's memory, as an
/// `Endpoint` does with a socket's buffers: no array per datagram. ``NetworkSimulator`` uses
/// these methods instead of ``SimulatedNode/receive(_:from:at:)`` and
/// ``SimulatedNode/pollTransmit(at:)`` for a node that conforms.
///
/// The simulator hands a node every datagram that arrives at one instant before it asks for
/// output, so a node that conforms should take its events in ``pollTransmit(into:at:)`` (as
/// ``EndpointNode`` does), not in ``receive(_:from:at:)-(UnsafeRawBufferPointer,_,_)``.
///
/// ```swift
/// final class Node: DirectSimulatedNode {
///     let endpoint: Endpoint
///     var maximumDatagramSize: Int { endpoint.maximumDatagramSize }
///     func receive(_ datagram: UnsafeRawBufferPointer, from source: SimulatedAddress, at now: Timestamp) {
///         endpoint.handle(datagram: datagram, from: source.peerAddress, at: now)
///     }
///     func pollTransmit(into buffer: UnsafeMutableRawBufferPointer, at now: Timestamp) -> (byteCount: Int, destination: SimulatedAddress)? {
///         endpoint.pollTransmit(into: buffer, at: now).map { ($0.byteCount, SimulatedAddress($0.destination)) }
///     }
///     // ... and the SimulatedNode methods
/// }
/// ```
public protocol DirectSimulatedNode: SimulatedNode {
    /// The largest datagram the node writes: the buffers given to ``pollTransmit(into:at:)``
    /// hold at least this many bytes.
    var maximumDatagramSize: Int { get }

    /// A datagram arrived from `source` at `now`; its bytes are valid only during the call.
    func receive(_ datagram: UnsafeRawBufferPointer, from source: SimulatedAddress, at now: Timestamp)

    /// Writes the next datagram to put on the wire into the start of `buffer` and returns its
    /// size and destination, or nil when there is nothing to send.
    func pollTransmit(into buffer: UnsafeMutableRawBufferPointer, at now: Timestamp) -> (byteCount: Int, destination: SimulatedAddress)?
}
