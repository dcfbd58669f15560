/// The framing of a packet on the wire: the encoded ``Packet`` followed by a 4-byte big-endian
/// CRC-32C of those bytes.
///
/// UDP's own 16-bit checksum misses some corruption (and is optional over IPv4); the trailer
/// makes every delivered message intact. The packet-protection layer (authentication or
/// encryption) takes the trailer's place when configured.
///
/// ```swift
/// var bytes = packet.serialized()
/// Datagram.seal(&bytes)                    // append the checksum
/// let again = try Datagram.open(bytes)     // verify and parse
/// ```
public enum Datagram {
    /// Size of the checksum trailer.
    public static let trailerSize = 4

    /// Appends the checksum of `bytes` to them.
    public static func seal(_ bytes: inout [UInt8]) {
        let crc = CRC32C.checksum(bytes)
        bytes.appendBigEndian(crc)
    }

    /// Verifies the trailer and parses the packet in front of it.
    public static func open(_ datagram: [UInt8]) throws(WireError) -> Packet {
        let result = datagram.withUnsafeBytes { raw in
            Result { () throws(WireError) -> Packet in try open(raw) }
        }
        return try result.get()
    }

    /// Verifies the trailer and parses the packet in front of it. Never reads outside `datagram`.
    public static func open(_ datagram: UnsafeRawBufferPointer) throws(WireError) -> Packet {
        let body = try verify(datagram)
        return try Packet.parse(body)
    }

    /// Checks the trailer and returns the packet bytes in front of it.
    public static func verify(_ datagram: UnsafeRawBufferPointer) throws(WireError) -> UnsafeRawBufferPointer {
        if datagram.count > Packet.maximumDatagramSize { throw .oversize(size: datagram.count) }
        guard datagram.count >= Packet.headerSize + trailerSize else {
            throw .truncated(offset: datagram.count, needed: Packet.headerSize + trailerSize - datagram.count)
        }
        let bodyCount = datagram.count - trailerSize
        let body = UnsafeRawBufferPointer(rebasing: datagram[0..<bodyCount])
        let stored = UInt32(bigEndian: datagram.loadUnaligned(fromByteOffset: bodyCount, as: UInt32.self))
        let computed = CRC32C.checksum(body)
        if stored != computed { throw .checksumMismatch }
        return body
    }
}
