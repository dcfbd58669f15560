import RUDPCore

/// A simulated node's address is a node ``PeerAddress`` to the endpoints it runs: cookie bytes
/// are the node number as 8 bytes, big-endian; the host key is the node number; nodes
/// `256 * k ..< 256 * (k + 1)` share a prefix, like the hosts of an IPv4 /24.
extension SimulatedAddress {
    /// This node's address as an `Endpoint` sees it: `PeerAddress(node: node)`.
    public var peerAddress: PeerAddress { PeerAddress(node: node) }

    /// The node a peer address names (an IP address names no node: node -1, unroutable).
    public init(_ peer: PeerAddress) {
        self.init(node: peer.node ?? -1)
    }
}
