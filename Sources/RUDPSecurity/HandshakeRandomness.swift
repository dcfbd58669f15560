import RUDPCore

/// Where a ``PSKHandshakeSecurity`` takes its handshake randoms and cookie secrets from.
///
/// ```swift
/// let transport = try PSKHandshakeSecurity(configuration: security, randomness: .secure)
/// let simulation = try PSKHandshakeSecurity(configuration: security, randomness: .seeded(42))
/// ```
public enum HandshakeRandomness: Sendable, Hashable {
    /// The operating system's secure random source (`randombytes_buf`). Use this for real traffic.
    case secure
    /// A `SeededGenerator`: reproducible runs in simulations and tests only, never on a network,
    /// since anyone who knows the seed can predict the randoms and the cookie secret.
    case seeded(UInt64)
}
