/// What a connection holds for received messages not yet taken by the application, and its
/// account of that memory (`Specs/PROTOCOL.md` sections 13.6 and 17.4): per-channel reliable
/// reassembly and ordering, unreliable reassembly, and the unreliable messages delivered but
/// not yet released.
struct ReceiveBuffers {
    /// Per-channel receive state, created when a channel first carries a reliable message.
    var channels: [ReliableChannelReceiver] = []
    var unreliable = UnreliableReassembler()
    /// Bytes of unreliable messages delivered but not released.
    var undeliveredUnreliableBytes = 0
    /// Counted receive memory (``ReceiveMemory``) of the unreliable messages delivered but not taken.
    var undeliveredUnreliableMemory = 0
    /// The receive memory held now: partial and waiting messages, undelivered unreliable ones.
    private(set) var memory = 0
    /// The endpoint's shared account, when the connection belongs to one.
    var pool: ReceiveMemoryPool?

    /// Changes the memory held, here and in the endpoint's account.
    mutating func adjust(by change: Int) {
        memory += change
        pool?.held += change
    }

    /// Forgets every message held for reassembly or ordering and stops counting undelivered
    /// unreliable messages (the connection is ending; what was delivered stays delivered).
    mutating func releaseAll() {
        guard memory != 0 else { return }
        for index in channels.indices { channels[index].discardHeldMessages() }
        unreliable = UnreliableReassembler()
        undeliveredUnreliableMemory = 0
        adjust(by: -memory)
    }

    /// Gives the storage of empty buffers back (they grow again on demand).
    mutating func shrinkIfEmpty() {
        for index in channels.indices { channels[index].shrinkIfEmpty() }
        unreliable.shrinkIfEmpty()
    }
}
