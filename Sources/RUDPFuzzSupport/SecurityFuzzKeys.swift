import RUDPSecurity
import RUDPWire

/// The fixed keys of the security fuzz target, derived once from the test PSK of
/// `Specs/vectors/security` (`00 01 ... 1f`).
///
/// The harness's own connection uses other handshake randoms than the vectors, so the vectors'
/// datagrams and cookie are foreign to it (they must be refused); the vectors' keys are the
/// "wrong key" a forger uses.
///
/// ```swift
/// let keys = SecurityFuzzKeys.shared
/// let sender = PacketProtector(mode: .encrypted, key: keys.session.clientToServer, direction: .clientToServer)
/// ```
public struct SecurityFuzzKeys: Sendable {
    /// The keys of the connection under attack.
    public let session: SessionKeys
    /// The keys of the security vectors: another connection under the same PSK.
    public let foreign: SessionKeys
    /// The PSK's connect key (authenticates CONNECT packets).
    public let connect: SecretKey
    /// The client's connection ID (the destination of server-to-client packets).
    public let clientConnectionID = ConnectionID(0x0123_4567_89ab_cdef)
    /// The server's connection ID (the destination of client-to-server packets).
    public let serverConnectionID = ConnectionID(0xfedc_ba98_7654_3210)

    /// The test PSK, `00 01 ... 1f`.
    public static let pskHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

    /// The keys, derived on first use.
    public static let shared: SecurityFuzzKeys = {
        do {
            return try SecurityFuzzKeys()
        } catch {
            preconditionFailure("SecurityFuzzKeys: cannot derive the fixed test keys: \(error)")
        }
    }()

    private init() throws(SecurityError) {
        let psk = try PreSharedKey(hexEncoded: Self.pskHex, source: "the fuzz test key")
        func random(_ first: UInt8) throws(SecurityError) -> HandshakeRandom {
            try HandshakeRandom(bytes: (0..<UInt8(HandshakeRandom.byteCount)).map { first &+ $0 })
        }
        session = try KeySchedule.sessionKeys(
            psk: psk, clientRandom: random(0xc0), serverRandom: random(0xe0),
            clientConnectionID: clientConnectionID, serverConnectionID: serverConnectionID)
        foreign = try KeySchedule.sessionKeys(
            psk: psk, clientRandom: random(0x40), serverRandom: random(0x60),
            clientConnectionID: clientConnectionID, serverConnectionID: serverConnectionID)
        connect = try KeySchedule.connectKey(psk: psk)
    }
}
