import NIOCore
import RUDPCore

/// UDP socket addresses as the engine sees them: a retry cookie binds the IP address and the
/// port; connection limits count per IP address (any port) and per /24 (IPv4) or /64 (IPv6)
/// network. An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, from a dual-stack socket) counts as
/// the IPv4 address it maps.
extension SocketAddress: EndpointAddress {
    /// The IP address (4 or 16 bytes) followed by the port (2 bytes, big-endian); for other
    /// address kinds, their description.
    public var cookieBytes: [UInt8] {
        var bytes: [UInt8]
        switch self {
        case .v4(let v4):
            var raw = v4.address.sin_addr
            bytes = withUnsafeBytes(of: &raw) { Array($0) }
        case .v6(let v6):
            var raw = v6.address.sin6_addr
            bytes = withUnsafeBytes(of: &raw) { Array($0) }
        default:
            bytes = Array("\(self)".utf8)
        }
        let port = UInt16(clamping: self.port ?? 0)
        bytes.append(UInt8(port >> 8))
        bytes.append(UInt8(port & 0xff))
        return bytes
    }

    /// The IP address, in the IPv6 form of ``AddressKey`` (IPv4 as `::ffff:a.b.c.d`).
    public var hostKey: AddressKey {
        switch self {
        case .v4(let v4):
            return AddressKey(ipv4: UInt32(bigEndian: v4.address.sin_addr.s_addr))
        case .v6(let v6):
            var raw = v6.address.sin6_addr
            return withUnsafeBytes(of: &raw) { bytes in
                var high: UInt64 = 0, low: UInt64 = 0
                for i in 0..<8 { high = high << 8 | UInt64(bytes[i]) }
                for i in 8..<16 { low = low << 8 | UInt64(bytes[i]) }
                return AddressKey(high: high, low: low)
            }
        default:
            // Not a UDP peer; one key per distinct description (FNV-1a).
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in "\(self)".utf8 {
                hash ^= UInt64(byte)
                hash &*= 0x100_0000_01b3
            }
            return AddressKey(high: UInt64.max, low: hash)
        }
    }

    /// The /24 network of an IPv4 address, the /64 of an IPv6 one.
    public var prefixKey: AddressKey { hostKey.networkPrefix }
}
