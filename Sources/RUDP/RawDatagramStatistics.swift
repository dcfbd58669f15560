/// Counters of a ``RawDatagramPath`` (the raw-UDP baseline of `rudp bench --baseline`).
package struct RawDatagramStatistics: Sendable, Hashable, Codable {
    /// Datagrams the sender handed to its socket.
    package var datagramsSent = 0
    /// Datagrams the receiver read from its socket.
    package var datagramsReceived = 0
    /// Datagrams the sender counted as lost: not read within the sender's ``RawDatagramSender/lossTimeout``
    /// of the last progress.
    package var datagramsTimedOut = 0
    /// Whether the sender wrote runs of datagrams as UDP GSO writes.
    package var usesSegmentation = false

    package init() {}
}
