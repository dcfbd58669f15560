import NIOCore
import RUDPCore

#if canImport(Glibc)
import Glibc
#endif

/// The engine's view of a UDP socket address: the IP address (IPv4 as `::ffff:a.b.c.d`), port
/// and IPv6 scope, read straight from the `sockaddr` bytes (no text formatting), once per
/// datagram. A retry cookie binds the IP address bytes (4 or 16) and the port; connection limits
/// count per IP address and per /24 (IPv4) or /64 (IPv6) network; an IPv4-mapped IPv6 address
/// from a dual-stack socket counts as the IPv4 address it maps (``PeerAddress``).
///
/// ```swift
/// let peer = PeerAddress(try SocketAddress(ipAddress: "127.0.0.1", port: 9000))   // 127.0.0.1:9000
/// ```
extension PeerAddress {
    /// The peer address of an IPv4 or IPv6 socket address; nil for other kinds (Unix domain).
    public init?(_ address: SocketAddress) {
        switch address {
        case .v4(let v4):
            let sin = v4.address
            self.init(ipv4: UInt32(bigEndian: sin.sin_addr.s_addr), port: UInt16(bigEndian: sin.sin_port))
        case .v6(let v6):
            var sin6 = v6.address
            let port = UInt16(bigEndian: sin6.sin6_port)
            let scope = sin6.sin6_scope_id
            self = withUnsafeBytes(of: &sin6.sin6_addr) { PeerAddress(ipv6Bytes: $0, port: port, scopeID: scope) }
        default:
            return nil
        }
    }
}

extension SocketAddress {
    /// The socket address of an IP peer address (nil for a node number). It formats the host as
    /// text (`inet_ntop`), so the transport keeps the addresses it has instead of converting
    /// back for every datagram (``SocketAddressCache``).
    init?(_ peer: PeerAddress) {
        switch peer.family {
        case .ipv4:
            guard let ipv4 = peer.ipv4 else { return nil }
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = peer.port.bigEndian
            sin.sin_addr = in_addr(s_addr: ipv4.bigEndian)
            self.init(sin)
        case .ipv6:
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = peer.port.bigEndian
            sin6.sin6_scope_id = peer.scopeID
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { raw in
                raw.storeBytes(of: peer.high.bigEndian, toByteOffset: 0, as: UInt64.self)
                raw.storeBytes(of: peer.low.bigEndian, toByteOffset: 8, as: UInt64.self)
            }
            self.init(sin6)
        case .node:
            return nil
        }
    }
}
