import CSodium
import RUDPWire

/// The key derivations of `Specs/SECURITY.md`, section "Key schedule": the constants and the
/// libsodium calls that turn a ``PreSharedKey`` and a connection's handshake values into keys.
///
/// ```swift
/// let keys = try KeySchedule.sessionKeys(psk: psk, clientRandom: c, serverRandom: s,
///                                        clientConnectionID: clientID, serverConnectionID: serverID)
/// let connectKey = try KeySchedule.connectKey(psk: psk)   // authenticates CONNECT packets
/// ```
public enum KeySchedule {
    /// Prefix of the BLAKE2b input that makes the connection's master key: ASCII "rudp v1 keys".
    public static let sessionLabel: [UInt8] = Array("rudp v1 keys".utf8)
    /// `crypto_kdf` context for the session subkeys (8 ASCII bytes).
    public static let sessionContext: [UInt8] = Array("rudpkeys".utf8)
    /// `crypto_kdf` context for the connect key, derived from the PSK alone (8 ASCII bytes).
    public static let connectContext: [UInt8] = Array("rudpconn".utf8)
    /// Subkey identifier of the client→server packet key.
    public static let clientToServerSubkeyID: UInt64 = 1
    /// Subkey identifier of the server→client packet key.
    public static let serverToClientSubkeyID: UInt64 = 2
    /// Subkey identifier of the handshake MAC key.
    public static let handshakeSubkeyID: UInt64 = 3
    /// Subkey identifier of the connect key (context ``connectContext``).
    public static let connectSubkeyID: UInt64 = 1

    /// Derives a connection's keys:
    ///
    /// ```
    /// master = crypto_generichash(out: 32, key: PSK,
    ///              in: "rudp v1 keys" || client_random || server_random
    ///                  || client_connection_id (8, big-endian) || server_connection_id (8, big-endian))
    /// client_to_server = crypto_kdf_derive_from_key(32, 1, "rudpkeys", master)
    /// server_to_client = crypto_kdf_derive_from_key(32, 2, "rudpkeys", master)
    /// handshake        = crypto_kdf_derive_from_key(32, 3, "rudpkeys", master)
    /// ```
    /// The master key is wiped before returning.
    public static func sessionKeys(
        psk: PreSharedKey, clientRandom: HandshakeRandom, serverRandom: HandshakeRandom,
        clientConnectionID: ConnectionID, serverConnectionID: ConnectionID
    ) throws(SecurityError) -> SessionKeys {
        try Sodium.ensureInitialized()
        var input = sessionLabel
        input.reserveCapacity(sessionLabel.count + 2 * HandshakeRandom.byteCount + 16)
        input.append(contentsOf: clientRandom.bytes)
        input.append(contentsOf: serverRandom.bytes)
        appendBigEndian(clientConnectionID.rawValue, to: &input)
        appendBigEndian(serverConnectionID.rawValue, to: &input)
        let master = SecretKey { out in
            psk.secret.withUnsafeBytes { key in
                input.withUnsafeBytes { message in
                    _ = crypto_generichash(
                        out.baseAddress!.assumingMemoryBound(to: UInt8.self), out.count,
                        message.baseAddress!.assumingMemoryBound(to: UInt8.self), UInt64(message.count),
                        key.baseAddress!.assumingMemoryBound(to: UInt8.self), key.count)
                }
            }
        }
        return SessionKeys(
            clientToServer: subkey(clientToServerSubkeyID, context: sessionContext, from: master),
            serverToClient: subkey(serverToClientSubkeyID, context: sessionContext, from: master),
            handshake: subkey(handshakeSubkeyID, context: sessionContext, from: master)
        )
    }

    /// The key that authenticates CONNECT packets, before the server's random is known:
    /// `crypto_kdf_derive_from_key(32, 1, "rudpconn", PSK)`. The same for every connection
    /// under one PSK, so use it only with a MAC that needs no nonce (``HandshakeAuthenticator``),
    /// never with the AEAD of ``PacketProtector``.
    public static func connectKey(psk: PreSharedKey) throws(SecurityError) -> SecretKey {
        try Sodium.ensureInitialized()
        return subkey(connectSubkeyID, context: connectContext, from: psk.secret)
    }

    /// `crypto_kdf_derive_from_key(32, id, context, master)`.
    static func subkey(_ id: UInt64, context: [UInt8], from master: SecretKey) -> SecretKey {
        precondition(context.count == Int(crypto_kdf_CONTEXTBYTES))
        return SecretKey { out in
            context.withUnsafeBytes { ctx in
                _ = crypto_kdf_derive_from_key(
                    out.baseAddress!.assumingMemoryBound(to: UInt8.self), out.count, id,
                    ctx.baseAddress!.assumingMemoryBound(to: CChar.self), master.unsafePointer)
            }
        }
    }

    static func appendBigEndian(_ value: UInt64, to bytes: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }
}
