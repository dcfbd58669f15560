/// When a plain server makes a client prove its address with a stateless RETRY before it creates
/// any state for a CONNECT (`Specs/PROTOCOL.md` section 7.2). Secure servers always do
/// (section 20.4), whatever the policy.
///
/// ```swift
/// var configuration = EndpointConfiguration(acceptsConnections: true)
/// configuration.retryPolicy = .always          // every client pays one round trip
/// configuration.retryPolicy = .whenHalfOpenExceeds(64)   // the default: only under load
/// ```
public enum RetryPolicy: Sendable, Hashable, CustomStringConvertible {
    /// Every CONNECT without a valid cookie is answered with RETRY; state only for a valid cookie.
    case always
    /// While more than this many connections are half-open (Accepting), CONNECTs without a valid
    /// cookie are answered with RETRY; below it a CONNECT creates a connection directly.
    case whenHalfOpenExceeds(Int)
    /// Never send RETRY: every CONNECT within the limits creates a half-open connection.
    case never

    /// The default: `.whenHalfOpenExceeds(64)`. A healthy server has few handshakes in flight
    /// (each lasts one round trip), so clients pay no extra round trip; a flood of spoofed
    /// CONNECTs pins at most 64 half-open connections, after which only clients that can receive
    /// at their address get state.
    public static let `default` = RetryPolicy.whenHalfOpenExceeds(64)

    /// Whether a CONNECT must carry a valid cookie when `halfOpen` connections are half-open.
    public func requiresCookie(halfOpen: Int) -> Bool {
        switch self {
        case .always: return true
        case .whenHalfOpenExceeds(let threshold): return halfOpen > threshold
        case .never: return false
        }
    }

    /// The policy in words, for example `always` or `when more than 64 half-open`.
    public var description: String {
        switch self {
        case .always: return "always"
        case .whenHalfOpenExceeds(let n): return "when more than \(n) half-open"
        case .never: return "never"
        }
    }
}
