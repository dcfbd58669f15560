import NIOCore
import RUDPCore
import Testing

@testable import RUDP

/// The transport's conversions between NIO's `SocketAddress` and the engine's ``PeerAddress``:
/// the keys are those the `SocketAddress` conformance gave before, and a destination goes out
/// with the `SocketAddress` the datagram came from.
@Suite struct PeerAddressConversionTests {
    @Test func ipv4AndIPv6RoundTrip() throws {
        let v4 = try SocketAddress(ipAddress: "192.0.2.7", port: 4433)
        let peer4 = try #require(PeerAddress(v4))
        #expect(peer4 == PeerAddress(ipv4: 0xC000_0207, port: 4433))
        #expect(peer4.cookieBytes == [192, 0, 2, 7, 0x11, 0x51])
        #expect(SocketAddress(peer4) == v4)

        let v6 = try SocketAddress(ipAddress: "2001:db8::1", port: 443)
        let peer6 = try #require(PeerAddress(v6))
        #expect(peer6.family == .ipv6 && peer6.high == 0x2001_0db8_0000_0000 && peer6.low == 1 && peer6.port == 443)
        #expect(peer6.prefixKey == AddressKey(high: 0x2001_0db8_0000_0000, low: 0))
        #expect(SocketAddress(peer6) == v6)

        // An IPv4-mapped address from a dual-stack socket: the IPv4 host, sent back as IPv6.
        let mapped = try SocketAddress(ipAddress: "::ffff:192.0.2.7", port: 4433)
        let peerMapped = try #require(PeerAddress(mapped))
        #expect(peerMapped.hostKey == peer4.hostKey && peerMapped.prefixKey == peer4.prefixKey && peerMapped != peer4)
        #expect(SocketAddress(peerMapped) == mapped)

        #expect(SocketAddress(PeerAddress(node: 3)) == nil)
    }

    @Test func theCacheGivesBackTheSocketAddressItWasGiven() throws {
        var cache = SocketAddressCache()
        var pairs: [(SocketAddress, PeerAddress)] = []
        for i in 0..<1000 {
            let address = try SocketAddress(ipAddress: "10.0.\(i / 250).\(i % 250 + 1)", port: 1000 + i)
            let peer = try #require(PeerAddress(address))
            cache.remember(address, as: peer)
            pairs.append((address, peer))
        }
        // The peer that sent last is a hit; evicted ones are converted again, to an equal address.
        #expect(cache.socketAddress(for: pairs[999].1) == pairs[999].0 && cache.misses == 0)
        for (address, peer) in pairs { #expect(cache.socketAddress(for: peer) == address) }
        #expect(cache.misses > 0)
        #expect(cache.socketAddress(for: PeerAddress(node: 1)) == nil)
    }
}
