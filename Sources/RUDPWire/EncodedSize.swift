/// Encoded sizes of the packet header, the trailer and every frame (`Specs/PROTOCOL.md` sections 3
/// to 5), for planning a packet before writing it with ``PacketWriter``.
///
/// The values are the ones ``Packet/encodedSize`` and ``Frame/encodedSize`` compute for the same
/// fields (tested), exposed without building a ``Frame``. They are `@inlinable`, so they fold to
/// constants in the caller's module.
///
/// ```swift
/// // How much of a 1,200-byte datagram is left for a message after an ACK with 3 ranges?
/// let used = EncodedSize.header + EncodedSize.ack(rangeCount: 3) + EncodedSize.crcTrailer
/// let payload = EncodedSize.maximumMessagePayload(fitting: 1200 - used)   // 1,200 - 61 - 17 = 1,122
/// ```
public enum EncodedSize {
    /// The common packet header: version, type, flags, destination, packet number (19 bytes).
    @inlinable public static var header: Int { 19 }
    /// The CRC-32C trailer of a plain datagram (``Datagram/trailerSize``).
    @inlinable public static var crcTrailer: Int { 4 }
    /// The tag that replaces the trailer of a protected datagram (``Packet/protectionTagSize``).
    @inlinable public static var protectionTag: Int { 16 }

    /// PING: the type byte alone.
    @inlinable public static var ping: Int { 1 }
    /// MAX_DATA: type (1) and maximum_data (8).
    @inlinable public static var maxData: Int { 9 }
    /// ACK_FLOOR: type (1) and floor (8).
    @inlinable public static var ackFloor: Int { 9 }
    /// PATH_CHALLENGE: type (1) and data (8).
    @inlinable public static var pathChallenge: Int { 9 }
    /// PATH_RESPONSE: type (1) and data (8).
    @inlinable public static var pathResponse: Int { 9 }

    /// An ACK without ranges: type (1), cumulative (8), ack delay (4), range count (1).
    @inlinable public static var ackWithoutRanges: Int { 14 }
    /// An ACK with `rangeCount` ranges (0 to ``AckFrame/maximumRanges``): the first adds the
    /// largest acknowledged (8) and its length (4), each further one a gap (4) and a length (4).
    @inlinable public static func ack(rangeCount: Int) -> Int {
        rangeCount == 0 ? ackWithoutRanges : ackWithoutRanges + 4 + 8 * rangeCount
    }

    /// Most ranges an ACK frame of at most `bytes` bytes can carry (capped at
    /// ``AckFrame/maximumRanges``), or nil when not even an ACK without ranges fits.
    @inlinable public static func maximumAckRanges(fitting bytes: Int) -> Int? {
        if bytes < ackWithoutRanges { return nil }
        if bytes < ack(rangeCount: 1) { return 0 }
        return min(32, (bytes - ackWithoutRanges - 4) / 8)
    }

    /// A MESSAGE frame's bytes before its payload: type, channel, flags, sequence, total length,
    /// offset, length (17, ``MessageFrame/overhead``).
    @inlinable public static var messageOverhead: Int { 17 }
    /// A MESSAGE frame with `payloadCount` payload bytes (at most 65,535).
    @inlinable public static func message(payloadCount: Int) -> Int { messageOverhead + payloadCount }
    /// Most payload bytes a MESSAGE frame of at most `bytes` bytes can carry (capped at 65,535, the
    /// length field's limit), or nil when not even an empty MESSAGE fits.
    @inlinable public static func maximumMessagePayload(fitting bytes: Int) -> Int? {
        bytes < messageOverhead ? nil : min(Int(UInt16.max), bytes - messageOverhead)
    }

    /// A CLOSE frame whose reason has `reasonByteCount` UTF-8 bytes (at most 200): type, code,
    /// reason length, reason.
    @inlinable public static func close(reasonByteCount: Int) -> Int { 4 + reasonByteCount }
    /// The CLOSE frame ``PacketWriter/writeClose(_:)`` writes for `frame` (its reason cut to 200
    /// bytes at a code-point boundary, as ``CloseFrame/encodedSize`` computes).
    public static func close(_ frame: CloseFrame) -> Int { frame.encodedSize }
}
