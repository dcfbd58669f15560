import RUDPCore

/// What one engine fuzz program did: enough for a test to see that a program exercised the
/// engine (messages really flowed) and not only that nothing broke.
///
/// ```swift
/// let report = EngineFuzzer.run(program.bytes)
/// print(report.messagesDelivered, report.violation as Any)
/// ```
public struct EngineFuzzReport: Sendable, Hashable {
    /// Operations executed.
    public var operations = 0
    /// Datagrams handed to an endpoint (genuine, changed or injected).
    public var datagramsDelivered = 0
    /// Messages accepted by `send` on either side.
    public var messagesSent = 0
    /// Messages delivered to either side's application.
    public var messagesDelivered = 0
    /// Reliable messages acknowledged on either side.
    public var messagesAcknowledged = 0
    /// Connections that reported `.connected`, on either side.
    public var connectionsEstablished = 0
    /// Connections that reported `.closed`, on either side.
    public var connectionsClosed = 0
    /// Whether a side accepted a datagram with a forged valid checksum (provenance checks stop there).
    public var tainted = false
    /// The server endpoint's counters at the end (RETRYs, evictions, refusals, cookies).
    public var server = EndpointStatistics()
    /// The first violated invariant, or nil.
    public var violation: FuzzViolation?

    /// Creates an empty report.
    public init() {}
}
