import RUDPCore
import RUDPImpairment

/// One event of a simulation run, as recorded when ``NetworkSimulator`` is created with
/// `recordTrace: true`.
///
/// Two runs with the same seed, nodes and options produce equal traces (and equal
/// ``NetworkSimulator/traceDigest``s).
///
/// ```swift
/// let simulator = NetworkSimulator(seed: 7, recordTrace: true)
/// // ... add nodes, connect, run ...
/// for entry in simulator.trace { print(entry) }
/// ```
public struct TraceEntry: Sendable, Equatable, CustomStringConvertible {
    /// What happened.
    public enum Event: Sendable, Equatable {
        /// A datagram was handed to `destination`; `fingerprint` is a 64-bit hash of its bytes.
        case delivered(source: SimulatedAddress, destination: SimulatedAddress, size: Int, fingerprint: UInt64)
        /// A datagram sent by `source` was dropped.
        case dropped(
            source: SimulatedAddress, destination: SimulatedAddress, size: Int, fingerprint: UInt64,
            reason: DropReason)
        /// `handleTimeout` was called on `node`.
        case timeout(node: SimulatedAddress)
        /// The livelock guard deferred `node`'s timer (see ``NetworkSimulator``).
        case timerDeferred(node: SimulatedAddress)
    }

    /// Virtual time of the event.
    public var time: Timestamp
    /// The event.
    public var event: Event

    /// Creates an entry.
    public init(time: Timestamp, event: Event) {
        self.time = time
        self.event = event
    }

    /// The entry on one line, e.g. `t=10.0ms node0→node1 delivered 100 B #1a2b…`.
    public var description: String {
        switch event {
        case let .delivered(source, destination, size, fingerprint):
            "\(time) \(source)→\(destination) delivered \(size) B #\(hex(fingerprint))"
        case let .dropped(source, destination, size, fingerprint, reason):
            "\(time) \(source)→\(destination) dropped (\(reason)) \(size) B #\(hex(fingerprint))"
        case let .timeout(node):
            "\(time) \(node) timeout"
        case let .timerDeferred(node):
            "\(time) \(node) timer deferred (livelock guard)"
        }
    }
}

func hex(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
}
