/// A 128-bit key under which an ``Endpoint`` counts the connections of one host or of one
/// network prefix (``PeerAddress/hostKey``, ``PeerAddress/prefixKey``).
///
/// IP addresses use the IPv6 form: an IPv6 address is its 16 bytes, an IPv4 address `a.b.c.d`
/// is the IPv4-mapped IPv6 address `::ffff:a.b.c.d`, so the same host reached over IPv4 or as
/// a mapped address on a dual-stack socket has the same key. Other kinds of address (simulator
/// node numbers) choose any value.
///
/// ```swift
/// let host = AddressKey(ipv4: 0x7F00_0001)                     // 127.0.0.1
/// let prefix = AddressKey(ipv4: 0x7F00_0001 & 0xFFFF_FF00)     // 127.0.0.0/24
/// ```
public struct AddressKey: Hashable, Sendable, CustomStringConvertible {
    /// The first 8 bytes, big-endian.
    public var high: UInt64
    /// The last 8 bytes, big-endian.
    public var low: UInt64

    /// A key from its two halves.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The key of an IPv4 address (in host byte order): `::ffff:a.b.c.d`.
    public init(ipv4 address: UInt32) {
        self.init(high: 0, low: 0xFFFF_0000_0000 | UInt64(address))
    }

    /// Whether the key is an IPv4 address in its mapped form, and that address.
    public var ipv4: UInt32? {
        high == 0 && low >> 32 == 0xFFFF ? UInt32(truncatingIfNeeded: low) : nil
    }

    /// The key with only the first `bits` bits kept (0...128): the key of the prefix.
    public func masked(toPrefixLength bits: Int) -> AddressKey {
        let bits = max(0, min(128, bits))
        if bits <= 64 {
            return AddressKey(high: bits == 0 ? 0 : high & ~(UInt64.max >> UInt64(bits)), low: 0)
        }
        return AddressKey(high: high, low: bits == 128 ? low : low & ~(UInt64.max >> UInt64(bits - 64)))
    }

    /// The key of the /24 (IPv4) or /64 (IPv6) network this address key lies in.
    public var networkPrefix: AddressKey {
        ipv4 != nil ? masked(toPrefixLength: 96 + 24) : masked(toPrefixLength: 64)
    }

    /// The address in the usual notation: dotted decimal for IPv4, hexadecimal groups for IPv6.
    public var description: String {
        if let v4 = ipv4 {
            return "\(v4 >> 24).\(v4 >> 16 & 0xFF).\(v4 >> 8 & 0xFF).\(v4 & 0xFF)"
        }
        let groups = (0..<8).map { i -> String in
            let word = i < 4 ? high >> UInt64(48 - 16 * i) : low >> UInt64(48 - 16 * (i - 4))
            return String(word & 0xFFFF, radix: 16)
        }
        return groups.joined(separator: ":")
    }
}
