import Synchronization

/// How the raw-UDP baseline's receiver (``RawDatagramReceiver``) tells its sender
/// (``RawDatagramSender``) what it has read, without a datagram and without waking the sender's
/// event loop for nothing: the receiving loop stores one more than the highest sequence number
/// read after each batch, and hops to the sending loop only when that loop asked for it
/// (`wanted`: a sender task waits for room in the send budget, or a waiter for everything to be
/// acknowledged). Otherwise the sender reads `through` whenever it runs anyway.
///
/// Each side stores one variable and then reads the other (the sender: `wanted`, then
/// `through`; the receiver: `through`, then `wanted`), so every access is sequentially
/// consistent: with acquire/release only, both reads could miss both stores, and a waiting
/// sender would sleep until the stall check.
///
/// ```swift
/// acknowledgements.through.store(newest, ordering: .sequentiallyConsistent)                // receiving loop
/// if acknowledgements.wanted.exchange(false, ordering: .sequentiallyConsistent) { wakeSender() }
/// ```
final class RawDatagramAcknowledgements: Sendable {
    /// One more than the highest sequence number the receiver read (written by its loop only).
    let through = Atomic<UInt64>(0)
    /// Set by the sender's loop when it wants a hop at the next batch read.
    let wanted = Atomic<Bool>(false)
}
