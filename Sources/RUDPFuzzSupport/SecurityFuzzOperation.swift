/// One step of a security fuzz program. A program is a header (see ``SecurityFuzzProgram``)
/// followed by operations: an operation byte (taken modulo the number of cases) and the
/// operation's argument bytes, which read as zero once the input ends.
///
/// Several operations take a *packet number choice*: a kind byte and, for some kinds, more bytes
/// (see ``SecurityFuzzProgram/PacketNumberKind``). It picks numbers relative to the sender's last
/// sealed number or the receiver's highest accepted one: the next number, small steps, the window
/// edges (±1023, 1024, 1025), far jumps, numbers just below and above 2^62, or any 64-bit value.
///
/// ```swift
/// var program = SecurityFuzzProgram(mode: .encrypted)
/// program.append(.seal, SecurityFuzzProgram.PacketNumberKind.next.rawValue, 5, 1, 2, 3, 4, 5)
/// program.append(.deliver, 0)
/// program.append(.deliver, 0)   // a replay: must be refused with `replayed`
/// ```
public enum SecurityFuzzOperation: UInt8, CaseIterable, Sendable {
    /// The sender seals a packet. Arguments: packet number choice (relative to the sender's last
    /// sealed number), payload (size byte: below 0xF0 that many bytes follow; 0xF0 and above picks
    /// a large size near the datagram limit, filled with a pattern byte that follows).
    case seal = 0
    /// Deliver a datagram the sender sealed (a first delivery, a reordering or a replay).
    /// Argument: index into the sealed datagrams (modulo their count).
    case deliver
    /// Deliver a sealed datagram after up to four changes. Arguments: index, change count (low
    /// 2 bits + 1), then per change: kind, position (2 bytes), value (see ``SecurityFuzzProgram/MutationKind``).
    case deliverMutated
    /// Deliver input bytes as a datagram. Arguments: length (2 bytes; 0xF000 and above picks a
    /// size around the datagram limit), the bytes.
    case deliverArbitrary
    /// Deliver a well-formed header with a chosen packet number followed by input bytes (a fake
    /// payload and tag). Arguments: packet number choice (relative to the receiver's highest), length, bytes.
    case deliverWithNumber
    /// Deliver a packet sealed by someone else: another key, the other direction or the other
    /// mode. Arguments: forger kind, packet number choice (relative to the receiver), payload.
    case deliverForged
    /// Compare the receiver's window with the model for a number. Argument: packet number choice.
    case queryWindow
    /// Ask the sender to seal with bad arguments (header of the wrong length or carrying another
    /// packet number, a packet shorter than a header): must throw `invalidHeader` and change nothing.
    /// Arguments: kind, length.
    case sealMisuse
    /// Accept a number directly into a separate replay window (no cryptography) and compare it
    /// with its own model. Argument: packet number choice (relative to that window).
    case windowAccept
    /// Let the cookie clock move forward. Arguments: kind, amount (2 bytes).
    case advanceTime
    /// Issue a retry cookie. Arguments: address choice, connection ID choice.
    case issueCookie
    /// Verify a cookie. Arguments: cookie choice (issued, mutated, arbitrary, foreign), address
    /// choice, connection ID choice, time choice.
    case verifyCookie
    /// Replace the cookie secret now (random); cookies of the secret before the previous stop verifying.
    case rotateCookieSecret
    /// Compute a handshake tag. Arguments: implementation (modulo 4: ``HandshakeAuthenticator``
    /// with the connect key or the session's handshake key, ``PSKHandshakeSecurity``'s connect-key
    /// tag, ``SessionProtection``'s handshake tag), message length, message bytes.
    case handshakeTag
    /// Check a handshake tag. Arguments: implementation, pair index, change kind (modulo 7:
    /// none, flip a tag bit, cut the tag, extend the message, the other key, an arbitrary tag,
    /// discard the session's handshake key first), position, value.
    case handshakeVerify
}
