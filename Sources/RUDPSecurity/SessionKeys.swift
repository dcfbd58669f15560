/// The keys of one connection, derived by ``KeySchedule/sessionKeys(psk:clientRandom:serverRandom:clientConnectionID:serverConnectionID:)``
/// from the pre-shared key and both sides' handshake randoms and connection IDs, so no two
/// connections share a key. Each key is wiped when its last reference goes away (for example when
/// the connection's ``PacketProtector``s are released).
///
/// ```swift
/// let keys = try KeySchedule.sessionKeys(psk: psk, clientRandom: c, serverRandom: s,
///                                        clientConnectionID: clientID, serverConnectionID: serverID)
/// let (outgoing, incoming) = try PacketProtector.pair(mode: .encrypted, keys: keys, isClient: true)
/// ```
public struct SessionKeys: Sendable, Equatable, CustomStringConvertible {
    /// Protects packets from client to server.
    public let clientToServer: SecretKey
    /// Protects packets from server to client.
    public let serverToClient: SecretKey
    /// Authenticates the handshake packets that follow the exchange of randoms (ACCEPT and
    /// anything else the handshake wants bound to this connection), with ``HandshakeAuthenticator``.
    public let handshake: SecretKey

    init(clientToServer: SecretKey, serverToClient: SecretKey, handshake: SecretKey) {
        self.clientToServer = clientToServer
        self.serverToClient = serverToClient
        self.handshake = handshake
    }

    /// The packet key for `direction`.
    public func key(for direction: PacketDirection) -> SecretKey {
        direction == .clientToServer ? clientToServer : serverToClient
    }

    /// Always `SessionKeys(<redacted>)`: session keys never appear in a description or log line.
    public var description: String { "SessionKeys(<redacted>)" }
}
