import NIOCore
import RUDPCore
import RUDPSecurity

/// Builds an endpoint's security from ``RUDPConfiguration/security``: libsodium handshake hooks
/// with randoms and cookie secrets from the operating system's secure random source. Retry
/// cookies bind the peer's IP address bytes and port (`PeerAddress.cookieBytes`).
enum TransportSecurity {
    /// The endpoint security for `configuration`, or nil when it has none.
    static func make(_ configuration: RUDPConfiguration) throws(RUDPError) -> EndpointSecurity? {
        guard let security = configuration.security else { return nil }
        do {
            return EndpointSecurity(handshake: try PSKHandshakeSecurity(configuration: security, randomness: .secure))
        } catch {
            throw RUDPError(.invalidArgument, "cannot set up packet security: \(error)")
        }
    }
}
