/// How the engine counts the memory a connection holds for received messages it has not handed
/// to the application yet (`Specs/PROTOCOL.md` sections 13.6 and 17.4).
///
/// Counted: the bytes of every fragment kept for a message still being reassembled (kept as
/// its own engine-owned array, a *chunk*), every reliable message complete but waiting for an
/// earlier one, and every unreliable message delivered but not yet taken; plus ``overhead`` for
/// each of those chunks and messages, and for the record of each message being reassembled or
/// delivered ahead of order. A reliable message delivered in order is the application's and
/// no longer counted here (flow control bounds it, section 14).
enum ReceiveMemory {
    /// Bookkeeping charged per chunk, per waiting message and per message record, on top of the
    /// bytes: a chunk's Swift array header and the allocator's rounding (about 48 bytes), plus
    /// the chunk's slot in its message's list or the record's slot in its dictionary. A complete
    /// message is counted by its length plus this (its `ByteBuffer`'s storage object is of that
    /// order; NIO's rounding of the capacity up to a power of two is not counted).
    static let overhead = 64

    /// The most a MESSAGE frame with `payloadCount` bytes can add: its bytes in a new chunk of a
    /// new message (chunk and record).
    @inline(__always)
    static func bound(payloadCount: Int) -> Int { payloadCount + 2 * overhead }
}
