import Foundation

/// A capture file in the classic libpcap format (nanosecond timestamps, Ethernet link type) of
/// UDP datagrams with proper IPv4 or IPv6 and UDP headers, checksums included, so that tools such
/// as tshark read it like a capture taken on a network interface.
struct PcapFile {
    /// One end of a UDP flow: a 4-byte IPv4 or 16-byte IPv6 address and a port.
    struct Endpoint: Hashable {
        var address: [UInt8]
        var port: UInt16

        static func ipv4(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, port: UInt16) -> Endpoint {
            Endpoint(address: [a, b, c, d], port: port)
        }

        /// `2001:db8::n` (the documentation prefix).
        static func ipv6(_ n: UInt8, port: UInt16) -> Endpoint {
            Endpoint(address: [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [n], port: port)
        }
    }

    /// The file's bytes so far.
    private(set) var bytes: [UInt8] = []
    /// The number of datagrams appended.
    private(set) var count = 0

    init() {
        appendLittleEndian(UInt32(0xa1b2_3c4d), 4)  // magic: nanosecond timestamps
        appendLittleEndian(UInt32(2), 2)  // version 2.4
        appendLittleEndian(UInt32(4), 2)
        appendLittleEndian(UInt32(0), 4)  // GMT offset
        appendLittleEndian(UInt32(0), 4)  // timestamp accuracy
        appendLittleEndian(UInt32(262_144), 4)  // snapshot length
        appendLittleEndian(UInt32(1), 4)  // LINKTYPE_ETHERNET
    }

    /// Appends one UDP datagram sent from `source` to `destination` at `nanoseconds` (since the
    /// epoch of the capture). Both ends must be of the same address family.
    mutating func append(_ payload: [UInt8], from source: Endpoint, to destination: Endpoint, at nanoseconds: UInt64) {
        precondition(source.address.count == destination.address.count, "mixed address families")
        let v6 = source.address.count == 16
        var udp: [UInt8] = []
        Self.appendBigEndian(UInt64(source.port), 2, &udp)
        Self.appendBigEndian(UInt64(destination.port), 2, &udp)
        Self.appendBigEndian(UInt64(8 + payload.count), 2, &udp)
        Self.appendBigEndian(0, 2, &udp)
        udp += payload
        // UDP checksum over the pseudo-header (RFC 768, RFC 8200 8.1); 0 is sent as 0xffff.
        var pseudo = source.address + destination.address
        if v6 {
            Self.appendBigEndian(UInt64(udp.count), 4, &pseudo)
            pseudo += [0, 0, 0, 17]
        } else {
            pseudo += [0, 17]
            Self.appendBigEndian(UInt64(udp.count), 2, &pseudo)
        }
        var checksum = Self.internetChecksum(pseudo + udp)
        if checksum == 0 { checksum = 0xffff }
        udp[6] = UInt8(checksum >> 8)
        udp[7] = UInt8(checksum & 0xff)

        var ip: [UInt8] = []
        if v6 {
            ip += [0x60, 0, 0, 0]
            Self.appendBigEndian(UInt64(udp.count), 2, &ip)
            ip += [17, 64]
            ip += source.address + destination.address
        } else {
            ip += [0x45, 0]
            Self.appendBigEndian(UInt64(20 + udp.count), 2, &ip)
            Self.appendBigEndian(UInt64(count & 0xffff), 2, &ip)  // identification
            ip += [0x40, 0, 64, 17, 0, 0]  // don't fragment, TTL, UDP
            ip += source.address + destination.address
            let headerChecksum = Self.internetChecksum(ip)
            ip[10] = UInt8(headerChecksum >> 8)
            ip[11] = UInt8(headerChecksum & 0xff)
        }
        let ethernet = [UInt8](repeating: 0, count: 12) + (v6 ? [0x86, 0xdd] : [0x08, 0x00])
        let frame = ethernet + ip + udp
        appendLittleEndian(UInt32(nanoseconds / 1_000_000_000), 4)
        appendLittleEndian(UInt32(nanoseconds % 1_000_000_000), 4)
        appendLittleEndian(UInt32(frame.count), 4)
        appendLittleEndian(UInt32(frame.count), 4)
        bytes += frame
        count += 1
    }

    func write(to url: URL) throws {
        try Data(bytes).write(to: url)
    }

    private mutating func appendLittleEndian(_ value: UInt32, _ size: Int) {
        for i in 0..<size { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt32(i)))) }
    }

    private static func appendBigEndian(_ value: UInt64, _ size: Int, _ out: inout [UInt8]) {
        for i in (0..<size).reversed() { out.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }

    /// The ones'-complement checksum of RFC 1071.
    static func internetChecksum(_ data: [UInt8]) -> UInt16 {
        var sum: UInt32 = 0
        var i = 0
        while i + 1 < data.count {
            sum += UInt32(data[i]) << 8 | UInt32(data[i + 1])
            i += 2
        }
        if i < data.count { sum += UInt32(data[i]) << 8 }
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }
}
