import RUDPCore

/// Simulated node addresses describe themselves as their node number does (see `Int`'s
/// conformance): cookie bytes are the node number as 8 bytes, big-endian; the host key is the
/// node number; nodes `256 * k ..< 256 * (k + 1)` share a prefix, like the hosts of an IPv4 /24.
extension SimulatedAddress: EndpointAddress {
    /// The node number as 8 bytes, big-endian.
    public var cookieBytes: [UInt8] { node.cookieBytes }
    /// The node number.
    public var hostKey: AddressKey { node.hostKey }
    /// The node number shifted right by 8 bits.
    public var prefixKey: AddressKey { node.prefixKey }
}
