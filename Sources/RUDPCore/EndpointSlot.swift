/// What an ``Endpoint`` keeps about one connection besides the ``Connection`` itself (which is
/// in a parallel array): a struct of plain values (no references), in the endpoint's slot
/// array, read and written in place (`slots[i].field`, a load or a store), never copied as a
/// whole on the per-datagram path.
///
/// A free slot has the ID ``ConnectionID/none``; its ``generation`` counts its occupants, so
/// queue entries of an earlier occupant are told from the current one's without searching the
/// queues.
///
/// ```swift
/// var slot = EndpointSlot(generation: 0)
/// slot.inTransmitQueue = true
/// ```
struct EndpointSlot {
    /// What a connection counts against.
    enum Kind: UInt8 {
        /// Opened by this endpoint: no server limits.
        case client
        /// Server connection in Accepting.
        case halfOpen
        /// Server connection past Accepting.
        case established
    }

    /// The keys a server connection is counted and found under (nil for a client connection).
    struct ServerKeys {
        /// The host and network whose limits it counts against.
        var host: AddressKey
        var prefix: AddressKey
        /// Its handshake (the client's address when it connected, and the client's ID).
        var handshake: HandshakeKey
    }

    /// The connection's ID; ``ConnectionID/none`` for a free slot.
    var id = ConnectionID.none
    /// Where the connection's datagrams go.
    var address: PeerAddress = 0
    var kind = Kind.client
    /// Counts the slot's occupants (wrapping).
    var generation: UInt32
    /// Whether the application has been told of the connection (a server connection is
    /// announced with its `.connected` event; one that never completes stays silent).
    var announced = false
    /// Whether the slot is in the endpoint's transmit / event / timer-refresh queue.
    var inTransmitQueue = false
    var inEventQueue = false
    var timerDirty = false
    /// Anti-amplification: nil once the peer's address is verified, else the bytes the
    /// connection may still send to it (3 × received − sent).
    var unverifiedCredit: Int?
    /// Path validation (server): the candidate address the connection's challenges go to,
    /// meaningful while ``Connection/isValidatingPath``, and the bytes they may still take
    /// (3 × received from the candidate since it became one − challenge bytes sent to it).
    var candidate: PeerAddress?
    var candidateCredit = 0
    /// The serial of the live timer entry (0 when none) and its deadline in nanoseconds.
    var timerSerial: UInt64 = 0
    var timerDeadline: UInt64 = 0
    /// Server connections: what they are counted under.
    var server: ServerKeys?

    /// A free slot whose next occupant is its `generation`-th.
    init(generation: UInt32) {
        self.generation = generation
    }
}
