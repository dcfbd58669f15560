import RUDPCore
import RUDPSecurity
import RUDPWire

/// The engine's ``SessionProtection`` (what a secure ``Connection`` opens its datagrams with) as a
/// ``SecurityFuzzReceiver``: its ``PacketOpenResult`` is turned back into a ``SecurityError`` of
/// the same kind, with every malformed case as ``SecurityError/invalidLength(what:expected:actual:)``
/// naming "malformed datagram", so the harness compares the kinds (``reportsExactErrors`` is false).
///
/// ```swift
/// let receiver = try SessionProtectionReceiver(mode: .encrypted, keys: keys, isClient: false)
/// let (header, payload) = try receiver.open(datagram: bytes)
/// ```
public final class SessionProtectionReceiver: SecurityFuzzReceiver {
    /// The protection under test.
    public let protection: SessionProtection

    /// The protection of the client (`isClient`) or server side of a connection with `keys`.
    public init(mode: SecurityMode, keys: SessionKeys, isClient: Bool) throws(SecurityError) {
        protection = try SessionProtection(mode: mode, keys: keys, isClient: isClient)
    }

    /// The incoming replay window.
    public var windowState: ReplayWindow { protection.replayWindow }
    /// The incoming window's highest accepted number.
    public var highestAccepted: UInt64? { protection.replayWindow.highest }
    /// The incoming window's classification.
    public func windowStatus(of packetNumber: UInt64) -> ReplayWindow.Status { protection.replayWindow.status(of: packetNumber) }
    /// Only the kind of a refusal is known.
    public var reportsExactErrors: Bool { false }

    /// Opens through ``SessionProtection/open(_:)``.
    public func open(datagram: [UInt8]) throws(SecurityError) -> (header: [UInt8], payload: [UInt8]) {
        var bytes = datagram
        let pn = datagram.count >= Packet.headerSize ? datagram[11..<Packet.headerSize].reduce(0) { $0 << 8 | UInt64($1) } : 0
        switch protection.open(&bytes) {
        case .verified:
            guard bytes.count >= Packet.headerSize else {
                throw .invalidLength(what: "verified packet", expected: Packet.headerSize, actual: bytes.count)
            }
            return (Array(bytes[0..<Packet.headerSize]), Array(bytes[Packet.headerSize...]))
        case .replayed: throw .replayed(packetNumber: pn)
        case .tooOld: throw .tooOld(packetNumber: pn)
        case .authenticationFailed: throw .authenticationFailed
        case .malformed: throw .invalidLength(what: "malformed datagram", expected: 0, actual: datagram.count)
        }
    }
}
