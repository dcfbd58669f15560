/// What identifies a server's handshake: the client's address and the connection ID it chose.
/// A retransmitted CONNECT finds its connection by it; a replayed one of a handshake that has
/// ended is recognised by it (``EndpointConfiguration/endedHandshakeMemory``). Hashed only when
/// a CONNECT arrives or a server connection ends, never for ordinary packets.
///
/// ```swift
/// let key = HandshakeKey(address: 7, clientID: ConnectionID(0x1234))
/// ```
struct HandshakeKey: Hashable {
    var address: PeerAddress
    var clientID: ConnectionID
}
