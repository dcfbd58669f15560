import NIOCore
import RUDPCore
import RUDPSecurity

/// Builds an endpoint's security from ``RUDPConfiguration/security``: libsodium handshake hooks
/// with randoms and cookie secrets from the operating system's secure random source, and retry
/// cookies bound to the peer's IP address bytes and port.
enum TransportSecurity {
    /// The endpoint security for `configuration`, or nil when it has none.
    static func make(_ configuration: RUDPConfiguration) throws(RUDPError) -> EndpointSecurity<SocketAddress>? {
        guard let security = configuration.security else { return nil }
        do {
            let handshake = try PSKHandshakeSecurity(configuration: security, randomness: .secure)
            return EndpointSecurity(handshake: handshake, addressBytes: cookieBytes)
        } catch {
            throw RUDPError(.invalidArgument, "cannot set up packet security: \(error)")
        }
    }

    /// The bytes a retry cookie binds: the IP address (4 or 16 bytes) followed by the port
    /// (2 bytes, big-endian); for other address kinds, their description.
    static func cookieBytes(_ address: SocketAddress) -> [UInt8] {
        var bytes: [UInt8]
        switch address {
        case .v4(let v4):
            var raw = v4.address.sin_addr
            bytes = withUnsafeBytes(of: &raw) { Array($0) }
        case .v6(let v6):
            var raw = v6.address.sin6_addr
            bytes = withUnsafeBytes(of: &raw) { Array($0) }
        default:
            bytes = Array("\(address)".utf8)
        }
        let port = UInt16(clamping: address.port ?? 0)
        bytes.append(UInt8(port >> 8))
        bytes.append(UInt8(port & 0xff))
        return bytes
    }
}
