import RUDPCore
import RUDPWire

/// The engine's handshake hooks (`HandshakeSecurity`) implemented with a pre-shared key on
/// libsodium: the connect key authenticates CONNECT and RETRY, a ``CookieIssuer`` makes and
/// checks retry cookies, and ``KeySchedule`` derives each connection's session keys, which a
/// ``SessionProtection`` then uses (`Specs/PROTOCOL.md` section 20, `Specs/SECURITY.md`).
///
/// ```swift
/// let security = SecurityConfiguration(mode: .encrypted, key: try PreSharedKey(contentsOfFile: "rudp.key"))
/// let handshake = try PSKHandshakeSecurity(configuration: security, randomness: .secure)
/// let endpoint = Endpoint(configuration: EndpointConfiguration(acceptsConnections: true),
///                       randomness: SystemRandomNumberGenerator(), security: EndpointSecurity(handshake: handshake))
/// ```
///
/// Not thread-safe: use it from the endpoint's thread (event loop) only.
public final class PSKHandshakeSecurity: HandshakeSecurity {
    /// The protection mode (never ``SecurityMode/none``).
    public let mode: SecurityMode
    /// `PacketFlags.authenticated` or `PacketFlags.authenticatedAndEncrypted`, after ``mode``.
    public let flags: PacketFlags
    private let psk: PreSharedKey
    private let connectAuthenticator: HandshakeAuthenticator
    private let cookies: CookieIssuer
    private var generator: SeededGenerator?

    /// A handshake security for `configuration` (mode and key), with randoms from `randomness`.
    /// Throws ``SecurityError/missingKey(reason:)`` for mode `none`, or if libsodium is unusable.
    public init(configuration: SecurityConfiguration, randomness: HandshakeRandomness) throws(SecurityError) {
        guard configuration.mode != .none else {
            throw .missingKey(reason: "security mode none needs no handshake security: leave the security configuration out")
        }
        try Sodium.ensureInitialized()
        mode = configuration.mode
        flags = configuration.mode == .encrypted ? .authenticatedAndEncrypted : .authenticated
        psk = configuration.key
        connectAuthenticator = HandshakeAuthenticator(key: try KeySchedule.connectKey(psk: configuration.key))
        switch randomness {
        case .secure:
            generator = nil
            cookies = CookieIssuer(secret: .random(), at: 0, lifetime: configuration.cookieLifetime)
        case .seeded(let seed):
            var rng = SeededGenerator(seed: seed)
            let first = Self.key(from: &rng)
            generator = rng
            cookies = CookieIssuer(secret: first, at: 0, lifetime: configuration.cookieLifetime)
        }
        if generator != nil {
            cookies.secretSource = { [unowned self] in Self.key(from: &self.generator!) }
        }
    }

    /// 32 bytes from `randombytes_buf`, or from the seeded generator in ``HandshakeRandomness/seeded(_:)``.
    public func nextRandom() -> [UInt8] {
        if generator != nil { return HandshakeRandom(using: &generator!).bytes }
        var bytes = [UInt8](repeating: 0, count: HandshakeRandom.byteCount)
        bytes.withUnsafeMutableBytes { Sodium.randomBytes($0.baseAddress!, count: $0.count) }
        return bytes
    }

    /// Appends `handshake_tag(connect_key, packet)` (SECURITY.md 3.2 and 7).
    public func appendConnectKeyTag(_ packet: inout [UInt8]) {
        packet.append(contentsOf: connectAuthenticator.tag(packet))
    }

    /// Whether the last 16 bytes are the connect-key tag of the bytes before them (constant time).
    public func verifyConnectKeyTag(_ datagram: [UInt8]) -> Bool {
        let tagSize = HandshakeAuthenticator.tagSize
        guard datagram.count > tagSize else { return false }
        let bodyCount = datagram.count - tagSize
        return datagram.withUnsafeBytes { raw in
            let expected = connectAuthenticator.tag(UnsafeRawBufferPointer(rebasing: raw[0..<bodyCount]))
            return expected.withUnsafeBytes { Sodium.constantTimeEqual($0, UnsafeRawBufferPointer(rebasing: raw[bodyCount...])) }
        }
    }

    /// A 24-byte cookie from the ``CookieIssuer`` (SECURITY.md 6), with `now` as its timestamp.
    public func issueCookie(address: [UInt8], clientConnectionID: ConnectionID, at now: Timestamp) -> [UInt8] {
        cookies.issue(address: address, clientConnectionID: clientConnectionID, at: now.nanoseconds)
    }

    /// Verifies a cookie under the current or previous secret and its lifetime.
    public func checkCookie(_ cookie: [UInt8], address: [UInt8], clientConnectionID: ConnectionID, at now: Timestamp) -> CookieCheck {
        do {
            try cookies.verify(cookie, address: address, clientConnectionID: clientConnectionID, at: now.nanoseconds)
            return .valid
        } catch .expiredCookie {
            return .expired
        } catch {
            return .invalid
        }
    }

    /// Derives the session keys (SECURITY.md 3.1) and wraps them in a ``SessionProtection``; nil if a random is not 32 bytes.
    public func sessionProtection(
        clientRandom: [UInt8], serverRandom: [UInt8], clientConnectionID: ConnectionID,
        serverConnectionID: ConnectionID, isClient: Bool
    ) -> (any PacketProtection)? {
        guard let client = try? HandshakeRandom(bytes: clientRandom), let server = try? HandshakeRandom(bytes: serverRandom),
            let keys = try? KeySchedule.sessionKeys(
                psk: psk, clientRandom: client, serverRandom: server,
                clientConnectionID: clientConnectionID, serverConnectionID: serverConnectionID)
        else {
            return nil
        }
        return try? SessionProtection(mode: mode, keys: keys, isClient: isClient)
    }

    /// A key from a seeded generator (deterministic runs only).
    private static func key(from generator: inout SeededGenerator) -> SecretKey {
        let bytes = HandshakeRandom(using: &generator).bytes
        return bytes.withUnsafeBytes { SecretKey(copying: $0) }
    }
}
