/// The DATA packets a connection sent and still tracks, in a ring indexed by packet number
/// (quinn-proto's `sent_packets.rs`): from the oldest one not yet settled to the newest.
///
/// Packet numbers are consecutive, so packet `pn` sits at ``firstPacketNumber`` + position: no
/// hashing, no search. Packet numbers that carried no DATA packet (handshake packets,
/// PATH_CHALLENGEs) are vacant slots. The reliable fragments each packet carried live in one
/// shared ring, in packet order, so recording a packet allocates nothing in steady state.
/// Settled packets (acknowledged, lost, not awaited) leave from the front (``trim()``).
struct SentPacketStore {
    private var packets = RingBuffer<SentPacket>()
    /// Packet number of `packets[0]`.
    private(set) var firstPacketNumber: UInt64 = 0
    private var fragments = RingBuffer<FragmentRef>()
    /// Absolute position of `fragments[0]`.
    private var firstFragment: UInt64 = 0
    /// Packets in state ``SentPacket/State/outstanding``.
    private(set) var outstandingCount = 0

    var isEmpty: Bool { packets.isEmpty }
    /// One past the newest packet number held.
    var endPacketNumber: UInt64 { firstPacketNumber + UInt64(packets.count) }

    // MARK: - Recording

    /// Records packet `pn` (larger than every packet number recorded before) with the fragments
    /// added by ``addFragment(_:)`` since the previous record.
    mutating func record(_ pn: UInt64, timeSent: UInt64, size: Int, isAckEliciting: Bool, carriedClose: Bool, fragmentStart: UInt64) {
        if packets.isEmpty {
            firstPacketNumber = pn
        } else {
            while endPacketNumber < pn { packets.append(.vacant) }
        }
        let count = UInt16(pendingFragmentEnd - fragmentStart)
        packets.append(
            SentPacket(
                timeSent: timeSent, size: Int32(size), state: isAckEliciting ? .outstanding : .notAwaited,
                isAckEliciting: isAckEliciting, carriedClose: carriedClose,
                fragmentCount: count, firstFragment: fragmentStart))
        if isAckEliciting { outstandingCount += 1 }
    }

    /// Where the next packet's fragments start (pass it to ``record``).
    var pendingFragmentEnd: UInt64 { firstFragment + UInt64(fragments.count) }

    /// Adds a reliable fragment of the packet being built.
    mutating func addFragment(_ ref: FragmentRef) {
        fragments.append(ref)
    }

    // MARK: - Access

    /// The position of packet `pn`, if the store holds it.
    @inline(__always)
    func position(of pn: UInt64) -> Int? {
        guard pn >= firstPacketNumber, pn < endPacketNumber else { return nil }
        return Int(pn - firstPacketNumber)
    }

    var count: Int { packets.count }

    subscript(position: Int) -> SentPacket {
        _read { yield packets[position] }
    }

    func packetNumber(at position: Int) -> UInt64 { firstPacketNumber + UInt64(position) }

    /// Changes a packet's state, keeping ``outstandingCount``.
    mutating func setState(_ state: SentPacket.State, at position: Int) {
        let old = packets[position].state
        if old == .outstanding { outstandingCount -= 1 }
        if state == .outstanding { outstandingCount += 1 }
        packets[position].state = state
    }

    /// The reliable fragments of the packet at `position`.
    func forEachFragment(of packet: SentPacket, _ body: (FragmentRef) -> Void) {
        guard packet.fragmentCount > 0 else { return }
        let start = Int(packet.firstFragment - firstFragment)
        for i in start..<(start + Int(packet.fragmentCount)) { body(fragments[i]) }
    }

    /// The oldest packet still awaited (the sender's ACK_FLOOR, `Specs/PROTOCOL.md` 9.4).
    var oldestOutstanding: UInt64? {
        guard outstandingCount > 0 else { return nil }
        for position in 0..<packets.count where packets[position].state == .outstanding {
            return packetNumber(at: position)
        }
        return nil
    }

    // MARK: - Settling

    /// Removes the settled packets at the front (and their fragments).
    mutating func trim() {
        while let first = packets.first, first.state != .outstanding {
            packets.removeFirst()
            firstPacketNumber += 1
        }
        // Every packet records where its fragments start (where they would, if it has none), so
        // the oldest packet left says which fragments are still needed.
        let keepFrom = packets.first?.firstFragment ?? pendingFragmentEnd
        if keepFrom > firstFragment {
            fragments.removeFirst(Int(keepFrom - firstFragment))
            firstFragment = keepFrom
        }
    }

    /// Forgets everything (the connection ended).
    mutating func removeAll() {
        let end = pendingFragmentEnd
        packets.removeAll()
        fragments.removeAll()
        firstFragment = end
        outstandingCount = 0
    }

    /// Gives the storage back if nothing is tracked (the connection went idle).
    mutating func shrinkIfEmpty() {
        if packets.isEmpty {
            packets.shrinkIfEmpty()
            if fragments.isEmpty { fragments.shrinkIfEmpty() }
        }
    }
}
