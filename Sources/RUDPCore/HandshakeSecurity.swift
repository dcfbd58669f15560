import RUDPWire

/// The endpoint-wide half of packet security: what the secure handshake needs
/// (`Specs/PROTOCOL.md` section 20). One object serves all connections of an endpoint.
///
/// `RUDPCore` runs the handshake state machine and calls these hooks; the implementation (on
/// libsodium, in `RUDPSecurity`) holds the pre-shared key, the cookie secret and the source of
/// handshake randoms: a seeded one in simulations and tests, the operating system's secure
/// random source in the transport.
///
/// ```swift
/// let handshake: any HandshakeSecurity = try PSKHandshakeSecurity(configuration: security, randomness: .secure)
/// let endpoint = Endpoint(configuration: config, randomness: SeededGenerator(seed: 1),
///                       security: EndpointSecurity(handshake: handshake))
/// ```
public protocol HandshakeSecurity: AnyObject {
    /// The header flags of every protected packet: `PacketFlags.authenticated` or
    /// `PacketFlags.authenticatedAndEncrypted`.
    var flags: PacketFlags { get }

    /// A fresh 32-byte handshake random (client_random for a new connection attempt,
    /// server_random for a newly accepted connection).
    func nextRandom() -> [UInt8]

    /// Appends the 16-byte connect-key tag to an encoded CONNECT or RETRY packet.
    func appendConnectKeyTag(_ packet: inout [UInt8])

    /// Whether a received CONNECT or RETRY datagram (packet followed by its tag) carries a valid
    /// connect-key tag (compared in constant time).
    func verifyConnectKeyTag(_ datagram: [UInt8]) -> Bool

    /// A retry cookie binding the client's address (as bytes) and connection ID to the time `now`.
    func issueCookie(address: [UInt8], clientConnectionID: ConnectionID, at now: Timestamp) -> [UInt8]

    /// Checks a cookie echoed in a CONNECT.
    func checkCookie(_ cookie: [UInt8], address: [UInt8], clientConnectionID: ConnectionID, at now: Timestamp) -> CookieCheck

    /// Derives the session keys of a connection and returns its packet protection, or nil when
    /// the inputs are unusable. `isClient` selects which direction seals and which opens.
    func sessionProtection(
        clientRandom: [UInt8], serverRandom: [UInt8], clientConnectionID: ConnectionID,
        serverConnectionID: ConnectionID, isClient: Bool
    ) -> (any PacketProtection)?
}

/// The outcome of ``HandshakeSecurity/checkCookie(_:address:clientConnectionID:at:)``.
public enum CookieCheck: Sendable, Hashable {
    /// Issued by this server for this address and connection ID, and not expired.
    case valid
    /// Not made by this server for this address and connection ID (forged, corrupted, moved).
    case invalid
    /// Genuine but older than its lifetime (or from the future).
    case expired
}

/// The security of an ``Endpoint``: the handshake hooks. The bytes a retry cookie is bound to
/// come from the peer address itself (``PeerAddress/cookieBytes``; for UDP the IP address
/// bytes followed by the 2-byte port).
///
/// ```swift
/// let security = EndpointSecurity(handshake: try PSKHandshakeSecurity(configuration: security, randomness: .seeded(1)))
/// let server = Endpoint(configuration: EndpointConfiguration(acceptsConnections: true),
///                     randomness: SeededGenerator(seed: 1), security: security)
/// ```
public struct EndpointSecurity {
    /// The handshake hooks (keys, cookies, randoms).
    public var handshake: any HandshakeSecurity

    /// Creates the security settings of an endpoint.
    public init(handshake: any HandshakeSecurity) {
        self.handshake = handshake
    }
}
