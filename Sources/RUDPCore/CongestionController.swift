/// A congestion controller: decides how many bytes may be in flight.
///
/// The connection reports every ack-eliciting packet sent, acknowledged or lost; the controller
/// answers with ``window``. Implement this protocol to plug in another algorithm through
/// ``ConnectionConfiguration/congestionControllerFactory``.
public protocol CongestionController: Sendable {
    /// Congestion window in bytes.
    var window: Int { get }
    /// A short name for statistics and reports, such as "newreno".
    var name: String { get }
    /// An ack-eliciting packet of `bytes` bytes was sent.
    mutating func onPacketSent(bytes: Int, at now: Timestamp)
    /// An in-flight packet sent at `sentTime` was acknowledged.
    mutating func onPacketAcknowledged(bytes: Int, sentTime: Timestamp, at now: Timestamp)
    /// Packets were declared lost; `newestLostSentTime` is when the newest of them was sent.
    mutating func onCongestionEvent(newestLostSentTime: Timestamp, at now: Timestamp)
    /// RFC 9002 7.6: losses spanned longer than the persistent-congestion duration.
    mutating func onPersistentCongestion()
}
