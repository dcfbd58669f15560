/// The simulator's NAT: which address a node appears under to a peer once it was rebound
/// (``NetworkSimulator/rebind(_:toward:)``), and which node a datagram to such an address
/// reaches. Without rebinding it is empty and every node appears under its own address.
///
/// A rebinding gives the node a fresh external address towards that one peer and forgets the
/// previous one, as a NAT whose mapping expired and was recreated on another port: the peer's
/// datagrams to the old address are then unroutable, and its datagrams to the new one reach the
/// node. Datagrams already in flight keep the source address they were sent with.
struct AddressTranslation {
    /// First external address handed out (far above any node index and the attacker's spoofed
    /// addresses).
    static let firstExternalAddress = 1_000_000

    private struct Pair: Hashable {
        var node: Int
        var peer: Int
    }

    /// (node, peer) → the node's current external address towards the peer.
    private var external: [Pair: Int] = [:]
    /// (external address, peer) → the node it stands for.
    private var inside: [Pair: Int] = [:]
    private var nextExternal = firstExternalAddress

    /// Whether any node was rebound (the simulator skips the lookups otherwise).
    var isEmpty: Bool { external.isEmpty }

    /// Gives `node` a new external address towards `peer` and returns it.
    mutating func rebind(_ node: Int, toward peer: Int) -> Int {
        if let old = external[Pair(node: node, peer: peer)] {
            inside[Pair(node: old, peer: peer)] = nil
        }
        let address = nextExternal
        nextExternal += 1
        external[Pair(node: node, peer: peer)] = address
        inside[Pair(node: address, peer: peer)] = node
        return address
    }

    /// The address `node` appears under to `peer`.
    func source(of node: Int, toward peer: Int) -> Int {
        external[Pair(node: node, peer: peer)] ?? node
    }

    /// The node a datagram from `peer` to `destination` reaches: the node behind an external
    /// address, the destination itself if it was never rebound towards `peer`, or nil if it was
    /// (its old address is no longer mapped).
    func target(of destination: Int, from peer: Int) -> Int? {
        if let node = inside[Pair(node: destination, peer: peer)] { return node }
        if external[Pair(node: destination, peer: peer)] != nil { return nil }
        return destination
    }
}
