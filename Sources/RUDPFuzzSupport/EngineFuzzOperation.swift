/// One step of an engine fuzz program. A program is a header (see ``EngineFuzzProgram``)
/// followed by operations: an operation byte (taken modulo the number of cases) and the
/// operation's argument bytes, which read as zero once the input ends.
public enum EngineFuzzOperation: UInt8, CaseIterable, Sendable {
    /// Client sends a message. Arguments: connection index, size class, size (2 bytes), channel, mode.
    case clientSend = 0
    /// Server sends a message. Arguments as for ``clientSend``.
    case serverSend
    /// Deliver the next datagram queued towards the server. No arguments.
    case deliverToServer
    /// Deliver the next datagram queued towards the client. No arguments.
    case deliverToClient
    /// Deliver up to N queued datagrams, alternating directions. Argument: N - 1 (low 4 bits).
    case deliverSome
    /// Deliver the next datagram of one direction changed. Arguments: direction, kind (modulo 7:
    /// flip a bit, truncate, append a byte, set a byte, flip a bit and fix the CRC, unchanged from
    /// another address, flip a bit of a CONNECT or RETRY and fix its connect-key tag in secure
    /// mode, else like 4), position (2 bytes), value.
    case deliverMutated
    /// Drop the next datagram of one direction. Argument: direction.
    case drop
    /// Move the next datagram of one direction behind a later one. Arguments: direction, distance.
    case reorder
    /// Deliver a copy of the next datagram of one direction and keep it queued. Argument: direction.
    case duplicate
    /// Deliver again a datagram delivered earlier. Arguments: direction, age.
    case replay
    /// Deliver input bytes as a datagram. Arguments: direction, source, flags (bit 0: append a valid
    /// checksum; bit 1: overwrite the destination with the ID of the receiver's connection number `flags >> 2`), length, bytes.
    case inject
    /// Let time pass without handling timers. Argument: amount (see ``EngineFuzzProgram/duration(_:)``).
    case advanceTime
    /// Handle expired timers of both endpoints. No arguments.
    case handleTimeouts
    /// Move time to the earliest deadline and handle it. No arguments.
    case runToDeadline
    /// Close a connection gracefully. Arguments: side, connection index.
    case close
    /// Abort a connection. Arguments: side, connection index.
    case abort
    /// Client opens another connection (at most ``EngineFuzzHarness/maximumClientConnections``). No arguments.
    case connect
    /// Give held messages back to the flow-control window. Arguments: side, count.
    case releaseCredit
    /// Deliver every queued datagram, in both directions, until the network is empty. No arguments.
    case drainNetwork
    /// The client's NAT binding changes: from now on its datagrams reach the server from the next
    /// address of 4, 5, 1 (in turn), and the server's datagrams to an address it left (other
    /// than 1 and 2, which always reach it) are lost. No arguments.
    case rebindClient
    /// Deliver a forged DATA packet with one PATH_CHALLENGE or PATH_RESPONSE frame to one of the
    /// receiver's connections. Arguments: direction, source, kind (bit 0: response, else
    /// challenge; bit 1: echo the data of the newest PATH_CHALLENGE the server sent, as an
    /// on-path attacker who read it would (plain mode; else the data bytes); bits 2–3: packet
    /// number: the newest genuine one towards the receiver + 1, the same, + 1000, or 0; bits
    /// 4–7: the receiver's connection number), data (8 bytes). Plain: sealed with a valid
    /// checksum; secure: a made-up tag.
    case injectPathFrame
}
