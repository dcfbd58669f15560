import RUDPWire

/// The packet protection of one secure connection, after its handshake: seals every packet it
/// sends and opens every packet it receives (`Specs/PROTOCOL.md` section 20).
///
/// The engine only calls it; the cryptography lives in a module above (`RUDPSecurity` implements
/// it on libsodium), so `RUDPCore` never links a crypto library. A connection without security
/// has no protection object at all and uses the CRC-32C trailer of `Datagram`: the plain path
/// makes no call through this protocol.
///
/// ```swift
/// var bytes = encodedPacket                  // header (flags .protected) || payload
/// guard protection.seal(&bytes) else { abort() }   // appends the 16-byte tag
/// var received = datagram
/// if protection.open(&received) == .verified { let packet = try Packet.parse(received) }
/// ```
public protocol PacketProtection: AnyObject {
    /// Bytes a protected datagram carries beyond its packet (the 16-byte tag).
    var overhead: Int { get }

    /// Turns an encoded packet (header and payload) into the datagram to send, in place: encrypts
    /// the payload if the mode says so and appends the tag. Returns false when the packet must not
    /// be sent because its number is not larger than the last one sealed or the key is exhausted
    /// (packet number 2^62); the connection must then be aborted.
    func seal(_ packet: inout [UInt8]) -> Bool

    /// Verifies a received datagram and turns it into the packet bytes in place (tag removed,
    /// payload decrypted). Checks the replay window before any cryptography and moves it only
    /// after the tag verified; a datagram that fails changes no state. After a failure the
    /// contents of `datagram` are unspecified.
    func open(_ datagram: inout [UInt8]) -> PacketOpenResult

    /// Verifies a received datagram, read from the caller's memory, and writes the packet bytes
    /// (header and decrypted payload: the first `datagram.count - overhead` bytes) into `packet`,
    /// which has room for at least `datagram.count` bytes and does not overlap `datagram`. The
    /// same checks and state changes as ``open(_:)``; after a failure the
    /// contents of `packet` are unspecified. The engine's receive path calls this one, so that
    /// opening allocates nothing; the default implementation goes through an array.
    func open(_ datagram: UnsafeRawBufferPointer, into packet: UnsafeMutableRawBufferPointer) -> PacketOpenResult

    /// Appends the handshake tag (the connection's handshake key) to an encoded ACCEPT.
    func authenticateHandshake(_ packet: inout [UInt8])

    /// Whether a received ACCEPT datagram (packet and tag) carries a valid handshake tag.
    func verifyHandshake(_ datagram: [UInt8]) -> Bool

    /// Forgets the handshake key once the handshake is complete (it is not needed any more).
    func discardHandshakeKey()
}

extension PacketProtection {
    /// Opens a copy of `datagram` with ``open(_:)`` and copies the packet out
    /// (for protections that only implement the array form).
    public func open(_ datagram: UnsafeRawBufferPointer, into packet: UnsafeMutableRawBufferPointer) -> PacketOpenResult {
        var bytes = Array(datagram)
        let result = open(&bytes)
        if result == .verified {
            bytes.withUnsafeBytes { opened in
                packet.copyMemory(from: UnsafeRawBufferPointer(rebasing: opened.prefix(packet.count)))
            }
        }
        return result
    }
}

/// The outcome of ``PacketProtection/open(_:)``.
public enum PacketOpenResult: Sendable, Hashable {
    /// The tag verified; the datagram now holds the packet.
    case verified
    /// The packet number was accepted before (a replay or a duplicate).
    case replayed
    /// The packet number is too far below the highest accepted one for the replay window.
    case tooOld
    /// The tag did not verify: forged, corrupted, or protected with another key.
    case authenticationFailed
    /// Too short, too long, or a packet number out of range.
    case malformed
}
