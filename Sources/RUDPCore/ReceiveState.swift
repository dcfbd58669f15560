import RUDPWire

/// The receiver's packet state (`Specs/PROTOCOL.md` sections 9.1–9.3): which packet numbers
/// arrived, and whether and when an acknowledgement is owed. The delayed-ACK deadline itself is
/// a timer of the connection's ``TimerTable``.
struct ReceiveState {
    var tracker = ReceivedPacketTracker()
    /// Packets recorded since the last ACK frame sent (ack-eliciting or not).
    var packetsSinceAck = 0
    /// Ack-eliciting packets recorded since the last ACK frame sent.
    var ackElicitingSinceAck = 0
    /// An ACK is owed at once (section 9.2).
    var ackImmediately = false

    /// An ACK frame was sent: every pending acknowledgement is satisfied.
    mutating func didSendAck() {
        packetsSinceAck = 0
        ackElicitingSinceAck = 0
        ackImmediately = false
    }

    /// The number of ranges an ACK frame with room for `maxRanges` carries (the highest ones).
    @inline(__always)
    func ackRangeCount(maxRanges: Int) -> Int {
        min(maxRanges, tracker.ranges.count, AckFrame.maximumRanges)
    }
}
