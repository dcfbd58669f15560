import RUDPCore
import RUDPWire

/// The engine's per-connection `PacketProtection` on libsodium: a ``PacketProtector`` for each
/// direction (ChaCha20-Poly1305-IETF, nonce = direction || packet number, replay window checked
/// before and moved after verification) and, until the handshake completes, the
/// ``HandshakeAuthenticator`` with the connection's handshake key that authenticates ACCEPT.
///
/// Made by ``PSKHandshakeSecurity/sessionProtection(clientRandom:serverRandom:clientConnectionID:serverConnectionID:isClient:)``;
/// the session keys live only here and are wiped when the connection releases it.
///
/// ```swift
/// let protection = try SessionProtection(mode: .encrypted, keys: keys, isClient: true)
/// var bytes = encodedPacket
/// _ = protection.seal(&bytes)          // bytes is now the datagram
/// ```
public final class SessionProtection: PacketProtection {
    private let outgoing: PacketProtector
    private let incoming: PacketProtector
    private var handshake: HandshakeAuthenticator?

    /// The protection of one side of a connection whose session keys are `keys`.
    public init(mode: SecurityMode, keys: SessionKeys, isClient: Bool) throws(SecurityError) {
        guard mode != .none else { throw .missingKey(reason: "a session protection needs mode authenticated or encrypted") }
        (outgoing, incoming) = try PacketProtector.pair(mode: mode, keys: keys, isClient: isClient)
        handshake = HandshakeAuthenticator(key: keys.handshake)
    }

    /// 16: the Poly1305 tag replaces the 4-byte CRC-32C trailer.
    public var overhead: Int { PacketProtector.tagSize }

    /// The packet numbers accepted so far from the peer.
    public var replayWindow: ReplayWindow { incoming.replayWindow }

    /// Seals with the outgoing key; false for a packet number that is not increasing or is 2^62 or more.
    public func seal(_ packet: inout [UInt8]) -> Bool {
        do {
            try outgoing.sealInPlace(&packet)
            return true
        } catch {
            return false
        }
    }

    /// Opens with the incoming key: replay window first, then the tag; only a verified datagram moves the window.
    public func open(_ datagram: inout [UInt8]) -> PacketOpenResult {
        do {
            try incoming.openInPlace(&datagram)
            return .verified
        } catch {
            switch error.code {
            case .replayed: return .replayed
            case .tooOld: return .tooOld
            case .authenticationFailed: return .authenticationFailed
            default: return .malformed
            }
        }
    }

    /// Opens with the incoming key into `packet`, without an array (see ``PacketProtector/open(_:into:)``).
    public func open(_ datagram: UnsafeRawBufferPointer, into packet: UnsafeMutableRawBufferPointer) -> PacketOpenResult {
        do {
            _ = try incoming.open(datagram, into: packet)
            return .verified
        } catch {
            switch error.code {
            case .replayed: return .replayed
            case .tooOld: return .tooOld
            case .authenticationFailed: return .authenticationFailed
            default: return .malformed
            }
        }
    }

    /// Appends `handshake_tag(handshake_key, packet)`; does nothing once the handshake key was discarded.
    public func authenticateHandshake(_ packet: inout [UInt8]) {
        guard let handshake else { return }
        packet.append(contentsOf: handshake.tag(packet))
    }

    /// Whether the datagram ends in the handshake-key tag of the bytes before it (constant time).
    public func verifyHandshake(_ datagram: [UInt8]) -> Bool {
        let tagSize = HandshakeAuthenticator.tagSize
        guard let handshake, datagram.count > tagSize else { return false }
        return handshake.isValid(tag: Array(datagram.suffix(tagSize)), for: Array(datagram.dropLast(tagSize)))
    }

    /// Drops the handshake key (wiped when its last reference goes).
    public func discardHandshakeKey() {
        handshake = nil
    }
}
