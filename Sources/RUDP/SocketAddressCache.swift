import NIOCore
import RUDPCore

/// The `SocketAddress`es the transport received datagrams from, by ``PeerAddress``, so that a
/// datagram the engine sends to a peer address goes out with the `SocketAddress` NIO made for
/// that peer instead of a new one (which would format the host as text and allocate).
///
/// Direct-mapped: 256 entries, each peer address in the one its bits pick (no hashing of the
/// Hasher kind, no probing); a peer that lost its entry to another is converted again, once.
/// Confined to the endpoint's event loop.
///
/// ```swift
/// var cache = SocketAddressCache()
/// cache.remember(envelope.remoteAddress, as: peer)
/// let destination = cache.socketAddress(for: peer)   // the same SocketAddress
/// ```
struct SocketAddressCache {
    private static let size = 256
    private var peers: [PeerAddress?]
    private var addresses: [SocketAddress?]
    /// Conversions from a peer address that was not cached (diagnostics).
    private(set) var misses = 0

    init() {
        peers = Array(repeating: nil, count: Self.size)
        addresses = Array(repeating: nil, count: Self.size)
    }

    @inline(__always)
    private static func index(_ peer: PeerAddress) -> Int {
        let mixed = (peer.low ^ peer.high ^ UInt64(peer.port) << 32) &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: mixed >> 56)
    }

    /// Notes that `address` is `peer`.
    @inline(__always)
    mutating func remember(_ address: SocketAddress, as peer: PeerAddress) {
        let i = Self.index(peer)
        if peers[i] == peer { return }
        peers[i] = peer
        addresses[i] = address
    }

    /// The socket address of `peer`: the cached one, or a new one (then cached); nil for a
    /// peer that is not an IP address.
    mutating func socketAddress(for peer: PeerAddress) -> SocketAddress? {
        let i = Self.index(peer)
        if peers[i] == peer, let address = addresses[i] { return address }
        guard let address = SocketAddress(peer) else { return nil }
        misses += 1
        peers[i] = peer
        addresses[i] = address
        return address
    }
}
