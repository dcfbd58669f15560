/// A reference to one fragment of a message in the send queue.
struct FragmentRef: Hashable, RingElement {
    var message: MessageID
    var index: Int

    static var ringFiller: FragmentRef { FragmentRef(message: MessageID(0), index: 0) }
}

/// The sender's record of one DATA packet until it is acknowledged or declared lost. Its packet
/// number is its position in the ``SentPacketStore``; the reliable fragments it carried are a
/// run in the store's shared fragment ring (no array per packet).
struct SentPacket: RingElement {
    enum State: UInt8 {
        /// No DATA packet of this connection has this number (a handshake packet, a
        /// PATH_CHALLENGE): a hole in the ring.
        case vacant
        /// Ack-eliciting, awaiting its acknowledgement.
        case outstanding
        case acknowledged
        case lost
        /// Not ack-eliciting: nothing is awaited.
        case notAwaited
    }

    var timeSent: UInt64
    /// Datagram size in bytes.
    var size: Int32
    var state: State
    /// Carries PING, MESSAGE or CLOSE: counts toward bytes in flight and must be acknowledged.
    var isAckEliciting: Bool
    var carriedClose: Bool
    /// The reliable fragments it carried: `fragmentCount` entries of the store's fragment ring,
    /// starting at absolute position `firstFragment`.
    var fragmentCount: UInt16
    var firstFragment: UInt64

    static let vacant = SentPacket(
        timeSent: 0, size: 0, state: .vacant, isAckEliciting: false, carriedClose: false,
        fragmentCount: 0, firstFragment: 0)

    @inline(__always)
    static var ringFiller: SentPacket {
        SentPacket(timeSent: 0, size: 0, state: .vacant, isAckEliciting: false, carriedClose: false, fragmentCount: 0, firstFragment: 0)
    }
}
