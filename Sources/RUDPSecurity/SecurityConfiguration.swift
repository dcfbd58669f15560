/// What an endpoint needs to protect its connections: the mode and the pre-shared key.
///
/// Both ends of a connection must use the same mode and key (there is no negotiation; a
/// mismatch makes every handshake packet fail verification, see `Specs/SECURITY.md`).
///
/// ```swift
/// let key = try PreSharedKey.load(file: "/etc/rudp/psk")        // or RUDP_PSK
/// var configuration = RUDPConfiguration()
/// configuration.security = SecurityConfiguration(mode: .encrypted, key: key)
/// ```
public struct SecurityConfiguration: Sendable, CustomStringConvertible {
    /// How packets are protected. ``SecurityMode/none`` is not allowed here: leave the
    /// security configuration out instead.
    public var mode: SecurityMode
    /// The 32-byte key shared by both endpoints.
    public var key: PreSharedKey
    /// How long a server's retry cookie stays valid, in nanoseconds (`Specs/SECURITY.md` section 6).
    public var cookieLifetime: UInt64

    /// Creates a security configuration; `mode` defaults to ``SecurityMode/encrypted``.
    public init(
        mode: SecurityMode = .encrypted, key: PreSharedKey,
        cookieLifetime: UInt64 = CookieIssuer.defaultLifetime
    ) {
        self.mode = mode
        self.key = key
        self.cookieLifetime = cookieLifetime
    }

    /// The mode and lifetime; the key is never printed.
    public var description: String {
        "SecurityConfiguration(mode: \(mode), key: <redacted>, cookieLifetime: \(cookieLifetime) ns)"
    }
}
