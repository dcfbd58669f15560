/// The sender's record of one DATA packet until it is acknowledged or declared lost.
struct SentPacket {
    enum State { case outstanding, acknowledged, lost, notAwaited }

    let packetNumber: UInt64
    let timeSent: Timestamp
    let size: Int
    /// Carries PING, MESSAGE or CLOSE: counts toward bytes in flight and must be acknowledged.
    let isAckEliciting: Bool
    /// Reliable fragments it carried.
    var fragments: [FragmentRef]
    var carriedClose: Bool
    var state: State
}
