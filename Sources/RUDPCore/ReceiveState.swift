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
    /// A packet with a PING (the sender's last packet of a flight, section 10.4) was recorded
    /// since the last ACK frame sent.
    var pingSinceAck = false
    /// The ACK frame just sent answered a flight ending with a PING while packets were missing:
    /// a second packet with an ACK frame is owed (section 9.2). On a lossy path the sender of a
    /// flight may have nothing else to send until that answer arrives; if it is lost, only its
    /// retransmission timer (at least SRTT + 1 ms) would start the next flight.
    var ackRepeatOwed = false

    /// An ACK frame was sent: every pending acknowledgement is satisfied. If it answered a PING
    /// and at least one other ack-eliciting packet while the tracker has gaps, one repeat is owed
    /// (and a repeat owes none). An answer to a single packet is not repeated: an ack-clocked
    /// sender has more in flight, whose acknowledgements carry the same information.
    mutating func didSendAck() {
        ackRepeatOwed = pingSinceAck && ackElicitingSinceAck >= 2 && tracker.hasGaps
        pingSinceAck = false
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
