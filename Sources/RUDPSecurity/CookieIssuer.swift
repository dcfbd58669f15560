import CSodium
import RUDPWire

/// Stateless retry cookies (`Specs/SECURITY.md`, "Retry cookie"): a server answers a first
/// CONNECT with a cookie instead of creating state, and creates the connection only when the
/// client repeats its CONNECT with a cookie that verifies, proving that it receives packets at its
/// source address.
///
/// `cookie = timestamp (8, big-endian nanoseconds of the issuer's clock)
///           || HMAC-SHA-512-256(secret, address || client_connection_id (8, big-endian) || timestamp)[0 ..< 16]`
///
/// The secret is random and replaced every ``rotationInterval`` nanoseconds (at least the
/// lifetime), when a cookie is issued; cookies made with the current or the previous secret
/// verify, so every cookie stays valid for its whole lifetime. Time is an input: pass the same
/// monotonic clock the engine uses.
///
/// ```swift
/// let cookies = try CookieIssuer(at: now.nanoseconds)
/// let cookie = cookies.issue(address: addressBytes, clientConnectionID: clientID, at: now.nanoseconds)
/// // ... later, when the CONNECT comes back with it:
/// try cookies.verify(cookie, address: addressBytes, clientConnectionID: clientID, at: later.nanoseconds)
/// ```
public final class CookieIssuer {
    /// Size of a cookie in bytes.
    public static let cookieSize = 24
    /// Size of the truncated MAC in a cookie.
    public static let tagSize = 16
    /// Default lifetime: 10 seconds.
    public static let defaultLifetime: UInt64 = 10_000_000_000

    /// How long a cookie verifies after it was issued, in nanoseconds.
    public let lifetime: UInt64
    /// How often the secret is replaced, in nanoseconds (never less than ``lifetime``).
    public let rotationInterval: UInt64

    private var current: SecretKey
    private var previous: SecretKey?
    private var rotatedAt: UInt64
    /// Where rotated-in secrets come from: the secure random source, or a seeded one in
    /// deterministic simulations (``PSKHandshakeSecurity`` with ``HandshakeRandomness/seeded(_:)``).
    var secretSource: () -> SecretKey = { .random() }

    /// An issuer with a fresh random secret. `now` is the current time in nanoseconds;
    /// `rotationInterval` defaults to twice the lifetime and is raised to the lifetime if smaller.
    public convenience init(
        at now: UInt64, lifetime: UInt64 = CookieIssuer.defaultLifetime,
        rotationInterval: UInt64? = nil
    ) throws(SecurityError) {
        try Sodium.ensureInitialized()
        self.init(secret: .random(), at: now, lifetime: lifetime, rotationInterval: rotationInterval)
    }

    /// An issuer with a given first secret (for test vectors; use ``init(at:lifetime:rotationInterval:)``
    /// otherwise).
    public init(
        secret: SecretKey, at now: UInt64, lifetime: UInt64 = CookieIssuer.defaultLifetime,
        rotationInterval: UInt64? = nil
    ) {
        self.lifetime = lifetime
        let (doubled, overflow) = lifetime.multipliedReportingOverflow(by: 2)
        self.rotationInterval = max(rotationInterval ?? (overflow ? .max : doubled), lifetime)
        current = secret
        rotatedAt = now
    }

    /// Replaces the secret now (with `newSecret`, or a random one); cookies made with the
    /// replaced secret keep verifying until the next rotation.
    public func rotate(at now: UInt64, to newSecret: SecretKey? = nil) {
        previous = current
        current = newSecret ?? secretSource()
        rotatedAt = now
    }

    /// A cookie for a client at `address` (opaque bytes, for example the IP address and port)
    /// whose CONNECT announced `clientConnectionID`. Rotates the secret first when it is due.
    public func issue(address: [UInt8], clientConnectionID: ConnectionID, at now: UInt64) -> [UInt8] {
        if now >= rotatedAt && now - rotatedAt >= rotationInterval {
            rotate(at: now)
        }
        var cookie: [UInt8] = []
        cookie.reserveCapacity(Self.cookieSize)
        KeySchedule.appendBigEndian(now, to: &cookie)
        cookie.append(contentsOf: Self.tag(secret: current, address: address, clientConnectionID: clientConnectionID, timestamp: now))
        return cookie
    }

    /// Checks a cookie returned by a client at `address` whose CONNECT announced
    /// `clientConnectionID`: throws ``SecurityError/invalidCookie`` if this issuer (with its current
    /// or previous secret) did not make it for that address and ID, ``SecurityError/expiredCookie``
    /// if it is older than ``lifetime`` or stamped later than `now`.
    public func verify(_ cookie: [UInt8], address: [UInt8], clientConnectionID: ConnectionID, at now: UInt64) throws(SecurityError) {
        guard cookie.count == Self.cookieSize else { throw .invalidCookie }
        var timestamp: UInt64 = 0
        for i in 0..<8 { timestamp = timestamp << 8 | UInt64(cookie[i]) }
        let received = Array(cookie[8...])
        var valid = false
        for secret in [current, previous] {
            guard let secret else { continue }
            let expected = Self.tag(secret: secret, address: address, clientConnectionID: clientConnectionID, timestamp: timestamp)
            if expected.withUnsafeBytes({ a in received.withUnsafeBytes { b in Sodium.constantTimeEqual(a, b) } }) {
                valid = true
            }
        }
        guard valid else { throw .invalidCookie }
        guard timestamp <= now, now - timestamp <= lifetime else { throw .expiredCookie }
    }

    /// The truncated MAC of a cookie.
    static func tag(secret: SecretKey, address: [UInt8], clientConnectionID: ConnectionID, timestamp: UInt64) -> [UInt8] {
        var input = address
        input.reserveCapacity(address.count + 16)
        KeySchedule.appendBigEndian(clientConnectionID.rawValue, to: &input)
        KeySchedule.appendBigEndian(timestamp, to: &input)
        var full = [UInt8](repeating: 0, count: Int(crypto_auth_BYTES))
        full.withUnsafeMutableBytes { out in
            input.withUnsafeBytes { message in HandshakeAuthenticator.authenticate(out, message, secret) }
        }
        return Array(full.prefix(tagSize))
    }
}
