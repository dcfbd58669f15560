/// The flags byte of the packet header (byte 2).
///
/// Version 2 defines two bits, both about packet protection (`Specs/PROTOCOL.md` section 3 and
/// section 20): ``protected`` says the datagram belongs to a connection with packet security and
/// ends in a 16-byte tag instead of the CRC-32C trailer; ``encrypted`` (only together with
/// ``protected``) says the payload is encrypted. The only valid values are therefore `0x00`
/// (plain), `0x01` (authenticated) and `0x03` (encrypted); anything else is
/// ``WireError/invalidFlags(_:)``.
///
/// ```swift
/// let flags: PacketFlags = [.protected, .encrypted]   // 0x03
/// var header: [UInt8] = []
/// Packet.writeHeader(type: .data, flags: flags, destination: ConnectionID(7), packetNumber: 1, into: &header)
/// ```
public struct PacketFlags: OptionSet, Hashable, Sendable, CustomStringConvertible {
    /// The flags byte.
    public var rawValue: UInt8
    /// Flags from the header byte (check ``isValid``).
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The datagram is protected by the security layer: its trailer is a 16-byte tag.
    public static let protected = PacketFlags(rawValue: 0x01)
    /// The payload is encrypted (only valid together with ``protected``).
    public static let encrypted = PacketFlags(rawValue: 0x02)

    /// No protection: the CRC-32C trailer of ``Datagram``.
    public static let plain: PacketFlags = []
    /// Authenticated mode: payload in clear, 16-byte tag.
    public static let authenticated: PacketFlags = [.protected]
    /// Encrypted mode: payload encrypted, 16-byte tag.
    public static let authenticatedAndEncrypted: PacketFlags = [.protected, .encrypted]

    /// Whether this value is one of the three that version 2 allows.
    public var isValid: Bool {
        self == .plain || self == .authenticated || self == .authenticatedAndEncrypted
    }

    /// The protection in words: `plain`, `authenticated` or `encrypted`.
    public var description: String {
        switch self {
        case .plain: return "plain"
        case .authenticated: return "authenticated"
        case .authenticatedAndEncrypted: return "encrypted"
        default: return "0x\(String(rawValue, radix: 16))"
        }
    }
}
