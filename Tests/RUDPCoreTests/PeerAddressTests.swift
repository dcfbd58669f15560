import RUDPCore
import Testing

/// ``PeerAddress``: the keys the endpoint counts and binds cookies under, for IP addresses and
/// for node numbers (whose values are those the `Int` addresses had before).
@Suite struct PeerAddressTests {
    @Test func nodeNumbersKeepTheirKeys() {
        let node: PeerAddress = 300
        #expect(node == PeerAddress(node: 300) && node.node == 300 && node.family == .node && node.ipv4 == nil)
        #expect(node.hostKey == AddressKey(high: 0, low: 300))
        #expect(node.prefixKey == AddressKey(high: 1, low: 1))
        #expect(node.cookieBytes == [0, 0, 0, 0, 0, 0, 0x01, 0x2C])
        // 256 consecutive numbers form one prefix, like an IPv4 /24.
        #expect(PeerAddress(node: 256).prefixKey == PeerAddress(node: 511).prefixKey)
        #expect(PeerAddress(node: 255).prefixKey != PeerAddress(node: 256).prefixKey)
        #expect(PeerAddress(node: -1).prefixKey == AddressKey(high: 1, low: UInt64.max))
        #expect("\(node)" == "node300")
    }

    @Test func ipv4AddressesAreMappedIntoIPv6Keys() {
        let peer = PeerAddress(ipv4: 0x7F00_0001, port: 4433)
        #expect(peer.ipv4 == 0x7F00_0001 && peer.port == 4433 && peer.node == nil)
        #expect(peer.hostKey == AddressKey(ipv4: 0x7F00_0001))
        #expect(peer.prefixKey == AddressKey(ipv4: 0x7F00_0000))
        #expect(peer.cookieBytes == [127, 0, 0, 1, 0x11, 0x51])
        #expect("\(peer)" == "127.0.0.1:4433")
        // Another port: another peer, the same host.
        let other = PeerAddress(ipv4: 0x7F00_0001, port: 4434)
        #expect(other != peer && other.hostKey == peer.hostKey)
    }

    @Test func ipv6AddressesCountPerSlash64AndMappedOnesAsIPv4() {
        var bytes: [UInt8] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x42]
        let peer = bytes.withUnsafeBytes { PeerAddress(ipv6Bytes: $0, port: 443, scopeID: 3) }
        #expect(peer.family == .ipv6 && peer.high == 0x2001_0db8_0000_0001 && peer.low == 0x42 && peer.scopeID == 3)
        #expect(peer.prefixKey == AddressKey(high: 0x2001_0db8_0000_0001, low: 0))
        #expect(peer.cookieBytes == bytes + [0x01, 0xBB])
        #expect("\(peer)" == "[2001:db8:0:1:0:0:0:42%3]:443")
        // ::ffff:10.0.0.7 from a dual-stack socket: the IPv4 host and /24, kept as IPv6 (to send back).
        bytes = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 10, 0, 0, 7]
        let mapped = bytes.withUnsafeBytes { PeerAddress(ipv6Bytes: $0, port: 9) }
        #expect(mapped.family == .ipv6 && mapped.ipv4 == 0x0A00_0007)
        #expect(mapped.hostKey == PeerAddress(ipv4: 0x0A00_0007, port: 1).hostKey)
        #expect(mapped.prefixKey == AddressKey(ipv4: 0x0A00_0000))
        #expect(mapped != PeerAddress(ipv4: 0x0A00_0007, port: 9))
    }
}
