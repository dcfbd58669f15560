import RUDPWire

/// The retry cookie of plain mode (`Specs/PROTOCOL.md` section 7.5): a server answers a CONNECT
/// from an address it has not verified with a RETRY carrying this cookie, keeps no state, and
/// creates the connection only when the CONNECT comes back with a cookie that checks, proving
/// that the client receives what is sent to its address.
///
/// `cookie = timestamp (8 bytes, big-endian nanoseconds of the server's clock)
///           || SipHash-2-4(secret, address || client_connection_id (8, big-endian) || timestamp (8, big-endian))`
///
/// 16 bytes; the SipHash output is written as its 8 little-endian bytes, as SipHash defines
/// them. The 16-byte `secret` comes from the random source the caller passes in. When a cookie
/// is issued and the secret is at least ``rotationInterval`` (2 × ``lifetime``) old, it is
/// replaced by a new one from that source; a cookie checks under the current or the previous
/// secret, and only while `timestamp ≤ now ≤ timestamp + lifetime`. Because rotations are at
/// least one lifetime apart, every cookie checks for its whole lifetime.
///
/// ```swift
/// var rng = SeededGenerator(seed: 1)
/// var cookies = PlainRetryCookie(at: now, using: &rng)
/// let cookie = cookies.issue(address: addressBytes, clientConnectionID: clientID, at: now, using: &rng)
/// // ... when the CONNECT comes back with it:
/// cookies.check(cookie, address: addressBytes, clientConnectionID: clientID, at: later) == .valid
/// ```
public struct PlainRetryCookie: Sendable {
    /// Size of a cookie in bytes.
    public static let cookieSize = 16
    /// Default lifetime: 10 seconds.
    public static let defaultLifetime: Duration = .seconds(10)

    /// How long a cookie checks after it was issued.
    public let lifetime: Duration
    /// How old the secret may get before the next ``issue(address:clientConnectionID:at:using:)``
    /// replaces it: twice the lifetime.
    public var rotationInterval: Duration { .nanoseconds(Int64(clamping: rotationNanoseconds)) }

    private let lifetimeNanoseconds: UInt64
    private let rotationNanoseconds: UInt64
    private var current: SipHash
    private var previous: SipHash?
    private var rotatedAt: Timestamp

    /// An issuer with a fresh secret drawn from `random` at `now`.
    public init(
        lifetime: Duration = PlainRetryCookie.defaultLifetime, at now: Timestamp,
        using random: inout some RandomNumberGenerator
    ) {
        self.init(secret: Self.newSecret(using: &random), lifetime: lifetime, at: now)
    }

    /// An issuer with a given first secret (for tests and vectors), made at `now`.
    public init(secret: SipHash, lifetime: Duration = PlainRetryCookie.defaultLifetime, at now: Timestamp) {
        self.lifetime = lifetime
        lifetimeNanoseconds = lifetime.nanosecondsClamped
        let (doubled, overflow) = lifetimeNanoseconds.multipliedReportingOverflow(by: 2)
        rotationNanoseconds = overflow ? .max : doubled
        current = secret
        previous = nil
        rotatedAt = now
    }

    /// Replaces the secret with `secret` now; cookies made with the replaced one keep checking
    /// until the next rotation.
    public mutating func rotate(to secret: SipHash, at now: Timestamp) {
        previous = current
        current = secret
        rotatedAt = now
    }

    /// A cookie for a client at `address` (the bytes the caller chose for it, for example the IP
    /// address and port) whose CONNECT announced `clientConnectionID`. First replaces the secret
    /// with a new one from `random` if it is at least ``rotationInterval`` old.
    public mutating func issue(
        address: [UInt8], clientConnectionID: ConnectionID, at now: Timestamp,
        using random: inout some RandomNumberGenerator
    ) -> [UInt8] {
        if now.nanoseconds(since: rotatedAt) >= rotationNanoseconds {
            rotate(to: Self.newSecret(using: &random), at: now)
        }
        var cookie: [UInt8] = []
        cookie.reserveCapacity(Self.cookieSize)
        cookie.appendBigEndian64(now.nanoseconds)
        let tag = Self.tag(current, address: address, clientConnectionID: clientConnectionID, timestamp: now.nanoseconds)
        for i in 0..<8 { cookie.append(UInt8(truncatingIfNeeded: tag >> (8 * UInt64(i)))) }
        return cookie
    }

    /// Checks a cookie echoed by a client at `address` whose CONNECT announced
    /// `clientConnectionID`: ``CookieCheck/invalid`` unless its tag matches under the current or
    /// the previous secret (any length other than 16 bytes included), ``CookieCheck/expired`` if
    /// it matches but `now` is outside `timestamp ... timestamp + lifetime`.
    public func check(_ cookie: [UInt8], address: [UInt8], clientConnectionID: ConnectionID, at now: Timestamp) -> CookieCheck {
        guard cookie.count == Self.cookieSize else { return .invalid }
        var timestamp: UInt64 = 0
        for i in 0..<8 { timestamp = timestamp << 8 | UInt64(cookie[i]) }
        var received: UInt64 = 0
        for i in 0..<8 { received |= UInt64(cookie[8 + i]) << (8 * UInt64(i)) }
        var matches = false
        for secret in [current, previous] {
            guard let secret else { continue }
            // compare every bit, without an early exit
            let difference = Self.tag(secret, address: address, clientConnectionID: clientConnectionID, timestamp: timestamp) ^ received
            matches = matches || difference == 0
        }
        guard matches else { return .invalid }
        guard timestamp <= now.nanoseconds, now.nanoseconds - timestamp <= lifetimeNanoseconds else { return .expired }
        return .valid
    }

    /// The SipHash-2-4 tag of a cookie: over `address || client_connection_id || timestamp`.
    static func tag(_ secret: SipHash, address: [UInt8], clientConnectionID: ConnectionID, timestamp: UInt64) -> UInt64 {
        var input = address
        input.reserveCapacity(address.count + 16)
        input.appendBigEndian64(clientConnectionID.rawValue)
        input.appendBigEndian64(timestamp)
        return secret.hash(input)
    }

    /// 16 secret bytes from `random`.
    static func newSecret(using random: inout some RandomNumberGenerator) -> SipHash {
        SipHash(k0: random.next(), k1: random.next())
    }
}

extension Array where Element == UInt8 {
    fileprivate mutating func appendBigEndian64(_ v: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { append(UInt8(truncatingIfNeeded: v >> UInt64(shift))) }
    }
}
