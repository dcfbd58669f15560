/// A received packet, validated in the caller's memory without allocating: the fast path beside
/// ``Packet/parse(_:)-(UnsafeRawBufferPointer)`` for the engine's per-datagram work.
///
/// For a DATA packet it checks the header and every frame exactly as `Packet.parse` does (the same
/// ``WireError``, found in the same order: `Specs/PROTOCOL.md` section 6.2) and returns a
/// ``DataPacketView`` whose frames can then be iterated as views. For CONNECT, ACCEPT and RETRY
/// (handshake packets, rare) it checks only the header and returns it: parse those with
/// `Packet.parse`, which checks the body.
///
/// The input is the packet without its trailer: what ``Datagram/verify(_:)`` returns, or what the
/// security layer opened. Views into it are valid as long as that memory is.
///
/// A valid packet costs one pass of loads and compares (`FastValidation`); an invalid one is
/// checked again field by field, as `Packet.parse` reads it, to name its error.
///
/// ```swift
/// let packet = try Datagram.verify(datagram)          // checks size and CRC-32C, no copy
/// switch try PacketView(validating: packet) {
/// case .data(let data):
///     route(data.header.destination)
///     for frame in data.frames {
///         switch frame {
///         case .message(let m): receive(m.payload)    // copy once, out of the datagram
///         case .ack(let ack): onAck(ack)
///         default: break
///         }
///     }
/// case .handshake(let header):
///     let full = try Packet.parse(packet)             // CONNECT, ACCEPT, RETRY
/// }
/// ```
public enum PacketView {
    /// A DATA packet whose header and frames are valid.
    case data(DataPacketView)
    /// A CONNECT, ACCEPT or RETRY packet with a valid header; its body was not looked at.
    case handshake(Packet.Header)

    /// Validates `packet` (the bytes in front of the trailer or tag). Throws the ``WireError`` that
    /// ``Packet/parse(_:)-(UnsafeRawBufferPointer)`` would throw for a DATA packet, or for any
    /// packet whose header is invalid; never reads outside `packet` and never allocates.
    public init(validating packet: UnsafeRawBufferPointer) throws(WireError) {
        if packet.count > Packet.maximumDatagramSize { throw .oversize(size: packet.count) }
        // One pass of loads and compares for a valid packet; the careful, field-by-field
        // validation only to name what is wrong with an invalid one.
        if let header = FastValidation.header(packet) {
            guard header.type == .data else {
                self = .handshake(header)
                return
            }
            if let frames = FastValidation.frames(packet) {
                self = .data(DataPacketView(header: header, bytes: packet, frameCount: frames.count, isAckEliciting: frames.ackEliciting))
                return
            }
        }
        self = try Self.carefullyValidating(packet)
    }

    /// The validation of `Packet.parse`, field by field, for the exact error.
    private static func carefullyValidating(_ packet: UnsafeRawBufferPointer) throws(WireError) -> PacketView {
        var reader = ByteReader(packet)
        let header = try Packet.parseHeader(&reader)
        guard header.type == .data else {
            assertionFailure("PacketView: the fast scan rejected a header that Packet.parseHeader accepts")
            return .handshake(header)
        }
        let data = try DataPacketView(header: header, carefullyValidating: packet, reader: &reader)
        assertionFailure("PacketView: the fast scan rejected a DATA packet that the careful validation accepts")
        return .data(data)
    }

    /// Reads only the common header, as ``Packet/parseHeader(_:)`` does (same checks, same errors;
    /// no allocation): enough to route a datagram, which must still be validated before use.
    public static func header(_ packet: UnsafeRawBufferPointer) throws(WireError) -> Packet.Header {
        if let header = FastValidation.header(packet) { return header }
        return try Packet.parseHeader(packet)
    }

    /// The packet's header.
    @inlinable public var header: Packet.Header {
        switch self {
        case .data(let data): return data.header
        case .handshake(let header): return header
        }
    }
}
