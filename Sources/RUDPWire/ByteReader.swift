/// A bounds-checked big-endian reader over a byte buffer.
///
/// Every read checks the remaining length first and throws ``WireError/truncated(offset:needed:)``
/// instead of reading past the end.
/// Only use it inside the `withUnsafeBytes` closure that produced its buffer.
struct ByteReader {
    private let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    var remaining: Int { bytes.count - offset }
    var isAtEnd: Bool { offset >= bytes.count }

    @inline(__always)
    private func require(_ count: Int) throws(WireError) {
        if count < 0 || count > remaining { throw .truncated(offset: offset, needed: count - remaining) }
    }

    mutating func readUInt8() throws(WireError) -> UInt8 {
        try require(1)
        let v = bytes[offset]
        offset += 1
        return v
    }

    mutating func readUInt16() throws(WireError) -> UInt16 {
        try require(2)
        let v = bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self)
        offset += 2
        return UInt16(bigEndian: v)
    }

    mutating func readUInt32() throws(WireError) -> UInt32 {
        try require(4)
        let v = bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        offset += 4
        return UInt32(bigEndian: v)
    }

    mutating func readUInt64() throws(WireError) -> UInt64 {
        try require(8)
        let v = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        offset += 8
        return UInt64(bigEndian: v)
    }

    /// Reads a 62-bit value stored in 8 bytes; the top two bits must be zero.
    mutating func readUInt62(field: String) throws(WireError) -> UInt64 {
        let v = try readUInt64()
        if v >= Packet.packetNumberLimit { throw .valueOutOfRange(field: field) }
        return v
    }

    /// Skips `count` bytes and returns them as a view into the reader's buffer (no copy, no
    /// allocation); throws exactly as ``readBytes(_:)`` does.
    mutating func readView(_ count: Int) throws(WireError) -> UnsafeRawBufferPointer {
        try require(count)
        let view = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
        offset += count
        return view
    }

    mutating func readBytes(_ count: Int) throws(WireError) -> [UInt8] {
        try require(count)
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
        offset += count
        return Array(slice)
    }
}

extension Array where Element == UInt8 {
    @inline(__always) mutating func appendBigEndian(_ v: UInt8) { append(v) }
    @inline(__always) mutating func appendBigEndian(_ v: UInt16) {
        append(UInt8(truncatingIfNeeded: v >> 8)); append(UInt8(truncatingIfNeeded: v))
    }
    @inline(__always) mutating func appendBigEndian(_ v: UInt32) {
        Swift.withUnsafeBytes(of: v.bigEndian) { append(contentsOf: $0) }
    }
    @inline(__always) mutating func appendBigEndian(_ v: UInt64) {
        Swift.withUnsafeBytes(of: v.bigEndian) { append(contentsOf: $0) }
    }
}
