/// How a connection protects its packets (see `Specs/SECURITY.md`).
///
/// ```swift
/// let mode = SecurityMode(rawValue: "encrypted")   // .encrypted
/// let protector = PacketProtector(mode: mode ?? .none, key: keys.clientToServer, direction: .clientToServer)
/// ```
public enum SecurityMode: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// No protection: the CRC-32C trailer of `RUDPWire.Datagram` only detects accidental
    /// corruption. No libsodium call is made per packet.
    case none
    /// Every packet carries a 16-byte Poly1305 tag over its header and payload; the payload
    /// travels in clear.
    case authenticated
    /// Every payload is encrypted with ChaCha20-Poly1305 (IETF); the header is authenticated as
    /// associated data.
    case encrypted

    /// Bytes a protected datagram carries beyond its packet: the 4-byte CRC-32C trailer for
    /// ``none``, the 16-byte tag otherwise.
    public var overhead: Int {
        self == .none ? 4 : PacketProtector.tagSize
    }

    /// The mode as the command line spells it: `none`, `authenticated` or `encrypted`.
    public var description: String { rawValue }
}
