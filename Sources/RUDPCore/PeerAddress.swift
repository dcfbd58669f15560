/// The address of a peer as an ``Endpoint`` sees it: an IP address and port (the UDP
/// transport), or the number of a node on a simulated network (the simulator and tests).
///
/// A plain value of 24 bytes, compared and copied without any indirection, so the endpoint can
/// keep one per connection and compare it with every datagram's source at no cost. IP addresses
/// are held in the IPv6 form: an IPv6 address is its 16 bytes, an IPv4 address `a.b.c.d` is
/// the IPv4-mapped IPv6 address `::ffff:a.b.c.d`; the family says which socket address it came
/// from (an IPv4-mapped address from a dual-stack socket stays ``Family/ipv6``, so the transport
/// can send back the way it received, but counts as the same host as the IPv4 address).
///
/// The endpoint asks an address for three things, only when a CONNECT arrives, a connection is
/// created or removed, or path validation moves a connection (never for ordinary packets):
/// ``cookieBytes`` (what a retry cookie binds), ``hostKey`` and ``prefixKey`` (what the
/// per-address and per-prefix limits of ``EndpointConfiguration`` count under).
///
/// An integer literal is a node number, so tests and simulations read naturally:
///
/// ```swift
/// let server = Endpoint(configuration: EndpointConfiguration(acceptsConnections: true), randomness: SeededGenerator(seed: 1))
/// server.handle(datagram: datagram, from: 1, at: .zero)          // from node 1
/// let peer = PeerAddress(ipv4: 0x7F00_0001, port: 4433)           // 127.0.0.1:4433
/// peer.hostKey == AddressKey(ipv4: 0x7F00_0001)                   // true
/// PeerAddress(node: 300).prefixKey == PeerAddress(node: 511).prefixKey   // true: nodes 256...511
/// ```
public struct PeerAddress: Hashable, Sendable, ExpressibleByIntegerLiteral, CustomStringConvertible {
    /// What kind of address it is.
    public enum Family: UInt8, Hashable, Sendable {
        /// An IPv4 address (held as `::ffff:a.b.c.d`) and port.
        case ipv4
        /// An IPv6 address, port and scope.
        case ipv6
        /// A node number (simulations, tests).
        case node
    }

    /// The first 8 of the 16 address bytes, big-endian (0 for a node).
    public let high: UInt64
    /// The last 8 of the 16 address bytes, big-endian (the node number, for a node).
    public let low: UInt64
    /// The IPv6 scope (interface) ID; 0 for other families.
    public let scopeID: UInt32
    /// The UDP port; 0 for a node.
    public let port: UInt16
    /// The kind of address.
    public let family: Family

    /// An IPv4 address (`address` in host byte order: `0x7F00_0001` is 127.0.0.1) and port.
    public init(ipv4 address: UInt32, port: UInt16) {
        self.high = 0
        self.low = 0xFFFF_0000_0000 | UInt64(address)
        self.scopeID = 0
        self.port = port
        self.family = .ipv4
    }

    /// An IPv6 address given as its two big-endian halves, with port and scope ID.
    public init(ipv6High high: UInt64, low: UInt64, port: UInt16, scopeID: UInt32 = 0) {
        self.high = high
        self.low = low
        self.scopeID = scopeID
        self.port = port
        self.family = .ipv6
    }

    /// An IPv6 address from its 16 bytes in network order (as in `in6_addr`), with port and
    /// scope ID. Fewer than 16 bytes are padded with zeros, more are ignored.
    public init(ipv6Bytes bytes: UnsafeRawBufferPointer, port: UInt16, scopeID: UInt32 = 0) {
        var high: UInt64 = 0, low: UInt64 = 0
        for i in 0..<8 { high = high << 8 | UInt64(i < bytes.count ? bytes[i] : 0) }
        for i in 8..<16 { low = low << 8 | UInt64(i < bytes.count ? bytes[i] : 0) }
        self.init(ipv6High: high, low: low, port: port, scopeID: scopeID)
    }

    /// The address of node `node` (a simulated network's node number, or a test's peer).
    public init(node: Int) {
        self.high = 0
        self.low = UInt64(truncatingIfNeeded: node)
        self.scopeID = 0
        self.port = 0
        self.family = .node
    }

    /// The address of the node with this number: `from: 1` is ``init(node:)`` with 1.
    public init(integerLiteral node: Int) {
        self.init(node: node)
    }

    /// The node number, for a node address; nil for an IP address.
    public var node: Int? {
        family == .node ? Int(truncatingIfNeeded: low) : nil
    }

    /// The IPv4 address in host byte order, for an IPv4 address or an IPv4-mapped IPv6 one.
    public var ipv4: UInt32? {
        family != .node && high == 0 && low >> 32 == 0xFFFF ? UInt32(truncatingIfNeeded: low) : nil
    }

    /// The bytes that identify this address in a retry cookie, port included: for IPv4 the 4
    /// address bytes and the port (big-endian), for IPv6 the 16 address bytes and the port, for
    /// a node its number as 8 bytes, big-endian.
    public var cookieBytes: [UInt8] {
        var bytes: [UInt8] = []
        switch family {
        case .ipv4:
            bytes.reserveCapacity(6)
            Self.append(UInt64(UInt32(truncatingIfNeeded: low)), bytes: 4, to: &bytes)
        case .ipv6:
            bytes.reserveCapacity(18)
            Self.append(high, bytes: 8, to: &bytes)
            Self.append(low, bytes: 8, to: &bytes)
        case .node:
            Self.append(low, bytes: 8, to: &bytes)
            return bytes
        }
        Self.append(UInt64(port), bytes: 2, to: &bytes)
        return bytes
    }

    /// The host, without port: connections from one host count against
    /// ``EndpointConfiguration/maxConnectionsPerAddress``. For an IP address its 16 bytes
    /// (``AddressKey``'s IPv6 form, so an IPv4 address and its mapped form are one host); for a
    /// node its number.
    public var hostKey: AddressKey {
        AddressKey(high: high, low: low)
    }

    /// The network the host belongs to: connections from it count against
    /// ``EndpointConfiguration/maxConnectionsPerPrefix``. The /24 of an IPv4 address, the /64 of
    /// an IPv6 one; for nodes, the number shifted right by 8 bits (nodes `256 * k ..< 256 * (k + 1)`
    /// share a prefix, like the 256 hosts of an IPv4 /24).
    public var prefixKey: AddressKey {
        if family == .node { return AddressKey(high: 1, low: UInt64(truncatingIfNeeded: Int(truncatingIfNeeded: low) >> 8)) }
        return hostKey.networkPrefix
    }

    /// `1.2.3.4:5`, `[::1]:5` (`[fe80::1%2]:5` with a scope), `node3`.
    public var description: String {
        switch family {
        case .node: return "node\(Int(truncatingIfNeeded: low))"
        case .ipv4: return "\(hostKey):\(port)"
        case .ipv6:
            let host = "\(AddressKey(high: high, low: low))"
            let mapped = ipv4 != nil ? "::ffff:" + host : host
            return scopeID == 0 ? "[\(mapped)]:\(port)" : "[\(mapped)%\(scopeID)]:\(port)"
        }
    }

    private static func append(_ value: UInt64, bytes count: Int, to bytes: inout [UInt8]) {
        for i in stride(from: count - 1, through: 0, by: -1) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(8 * i))) }
    }
}
