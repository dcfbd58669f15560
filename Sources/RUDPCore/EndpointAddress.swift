/// How a peer address describes itself to an ``Endpoint``: the bytes a retry cookie is bound
/// to, and the keys under which the endpoint's per-address and per-prefix limits
/// (``EndpointConfiguration/maxConnectionsPerAddress``,
/// ``EndpointConfiguration/maxConnectionsPerPrefix``) count its connections.
///
/// The UDP transport's `SocketAddress` conforms (in `RUDP`): cookie bytes are the IP address
/// followed by the port, the host key is the IP address without the port, the prefix key its
/// /24 (IPv4) or /64 (IPv6) network. `Int` conforms here, for tests and fuzzing, and the
/// simulator's node addresses conform in `RUDPSimulation`, both as described at the `Int`
/// conformance.
///
/// The endpoint asks for these only when a CONNECT arrives and when a connection is created or
/// removed, never for ordinary packets.
public protocol EndpointAddress: Hashable {
    /// The bytes that identify this address in a retry cookie: the whole address, port included.
    var cookieBytes: [UInt8] { get }
    /// The host, without any port: connections from one host count against the per-address limit.
    var hostKey: AddressKey { get }
    /// The network the host belongs to: connections from it count against the per-prefix limit.
    var prefixKey: AddressKey { get }
}

/// Integer addresses (tests, fuzzing): the number is a host. Its cookie bytes are the number as
/// 8 bytes, big-endian; its host key is the number; its prefix key is the number shifted right by
/// 8 bits, so hosts `256 * k ..< 256 * (k + 1)` share a prefix, like the 256 hosts of an IPv4 /24.
extension Int: EndpointAddress {
    /// The number as 8 bytes, big-endian.
    public var cookieBytes: [UInt8] {
        withUnsafeBytes(of: UInt64(truncatingIfNeeded: self).bigEndian) { Array($0) }
    }

    /// The number itself.
    public var hostKey: AddressKey { AddressKey(high: 0, low: UInt64(truncatingIfNeeded: self)) }

    /// `self >> 8`: 256 consecutive numbers form one prefix.
    public var prefixKey: AddressKey { AddressKey(high: 1, low: UInt64(truncatingIfNeeded: self >> 8)) }
}
