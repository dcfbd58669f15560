import RUDPWire

/// The per-input check of the wire-codec fuzz target, also replayed by the unit tests.
///
/// For any bytes it exercises ``Packet/parseHeader(_:)``, ``Packet/parse(_:)-(UnsafeRawBufferPointer)`` and
/// ``Datagram/open(_:)-(UnsafeRawBufferPointer)`` on memory of exactly the input's size (so AddressSanitizer
/// catches any read past the end), then on the same bytes sealed with a valid checksum trailer
/// (so the datagram path reaches the parser, which random bytes almost never would). Whenever
/// something parses it asserts:
///
/// - the header parser agrees with the full parser on type, flags, destination and packet number;
/// - serializing the packet gives back exactly the input (PROTOCOL.md section 6: the encoding is
///   canonical), its length is ``Packet/encodedSize``, and parsing that again gives an equal packet;
/// - `Datagram.open` of a sealed packet gives the same packet as `Packet.parse` of its bytes;
/// - the allocation-free fast paths agree with the reference codec: ``PacketView/header(_:)`` is
///   ``Packet/parseHeader(_:)`` (the same header or the same error); ``PacketView`` accepts exactly
///   the DATA packets `Packet.parse` accepts and rejects the rest with the same ``WireError``
///   (offsets included; any packet with an invalid header too), and decodes the same frames (ACK
///   ranges in both orders, the ascending walker on every boundary packet number, payloads and
///   reasons); `Datagram.verify` + `PacketView` agrees with `Datagram.open`; and ``PacketWriter``,
///   writing the parsed frames into a buffer of exactly the datagram's size (from the reference
///   frames and from the views), produces `serialized()` + `Datagram.seal` byte for byte.
///
/// A violation traps with a description (``check(_:)-([UInt8])``) or is returned
/// (``violation(in:)-([UInt8])``).
///
/// ```swift
/// WireFuzzer.check([0x02, 0x03, 0x00])   // truncated header: rejected, nothing to assert
/// ```
public enum WireFuzzer {
    /// Runs every check on `bytes`; traps on the first violated invariant.
    public static func check(_ bytes: [UInt8]) {
        if let problem = violation(in: bytes) { FuzzViolation.trap("WireFuzzer: \(problem)") }
    }

    /// Runs every check on raw memory (the fuzzer's buffer); traps on the first violated invariant.
    public static func check(_ bytes: UnsafeRawBufferPointer) {
        if let problem = violation(in: bytes) { FuzzViolation.trap("WireFuzzer: \(problem)") }
    }

    /// Runs every check on `bytes` and describes the first violated invariant, or returns nil.
    public static func violation(in bytes: [UInt8]) -> String? {
        withExactCopy(of: bytes) { violation(in: $0) }
    }

    /// Runs every check on raw memory and describes the first violated invariant, or returns nil.
    public static func violation(in bytes: UnsafeRawBufferPointer) -> String? {
        if let problem = checkPacket(bytes) { return problem }
        if let problem = checkDatagram(bytes) { return problem }
        if let problem = checkFastReader(bytes) { return "fast path: \(problem)" }
        // The same bytes with a valid trailer: `Datagram.open` must then agree with `Packet.parse`.
        guard bytes.count + Datagram.trailerSize <= Packet.maximumDatagramSize else { return nil }
        var sealed = Array(bytes)
        Datagram.seal(&sealed)
        return withExactCopy(of: sealed) { sealedRaw -> String? in
            let viaDatagram = Result { () throws(WireError) -> Packet in try Datagram.open(sealedRaw) }
            let viaPacket = Result { () throws(WireError) -> Packet in try Packet.parse(bytes) }
            if let problem = checkFastDatagram(sealedRaw, reference: viaDatagram) { return "fast path: \(problem)" }
            switch (viaDatagram, viaPacket) {
            case let (.success(a), .success(b)):
                return a == b ? nil : "Datagram.open of the sealed bytes gave \(a), Packet.parse gave \(b)"
            case (.failure, .failure):
                return nil
            case let (.success(a), .failure(e)):
                return "Datagram.open of the sealed bytes accepted \(a) but Packet.parse rejected them: \(e)"
            case let (.failure(e), .success(b)):
                return "Packet.parse accepted \(b) but Datagram.open of the sealed bytes rejected them: \(e)"
            }
        }
    }

    /// `Packet.parseHeader` and `Packet.parse` on the bytes as they are.
    private static func checkPacket(_ bytes: UnsafeRawBufferPointer) -> String? {
        let header = Result { () throws(WireError) -> Packet.Header in try Packet.parseHeader(bytes) }
        let packet: Packet
        do {
            packet = try Packet.parse(bytes)
        } catch {
            if error.description.isEmpty || error.name.isEmpty { return "WireError \(error.name) has no description" }
            return nil
        }
        guard case .success(let h) = header else {
            return "Packet.parse accepted \(packet) but Packet.parseHeader rejected the same bytes"
        }
        if h.type != packet.type || h.flags != packet.flags || h.destination != packet.destination || h.packetNumber != packet.packetNumber
        {
            return
                "Packet.parseHeader read \(h) but Packet.parse read \(packet.type) \(packet.flags) \(packet.destination) \(packet.packetNumber)"
        }
        return checkRoundTrip(packet, original: bytes)
    }

    /// `Datagram.open` on the bytes as they are (the trailer is almost always wrong).
    private static func checkDatagram(_ bytes: UnsafeRawBufferPointer) -> String? {
        guard let packet = try? Datagram.open(bytes) else { return nil }
        let body = UnsafeRawBufferPointer(rebasing: bytes[0..<(bytes.count - Datagram.trailerSize)])
        let direct = Result { () throws(WireError) -> Packet in try Packet.parse(body) }
        guard case .success(let again) = direct, again == packet else {
            return "Datagram.open gave \(packet) but Packet.parse of the bytes before the trailer gave \(direct)"
        }
        return checkRoundTrip(packet, original: body)
    }

    /// Serializing must reproduce the original bytes exactly, and parse back to an equal packet.
    private static func checkRoundTrip(_ packet: Packet, original: UnsafeRawBufferPointer) -> String? {
        let encoded = packet.serialized()
        if encoded.count != packet.encodedSize {
            return "encodedSize is \(packet.encodedSize) but serialization wrote \(encoded.count) bytes for \(packet)"
        }
        if !encoded.elementsEqual(original) {
            return "serializing \(packet) gave \(hex(encoded)), not the parsed bytes \(hex(Array(original))) (encoding not canonical)"
        }
        let reparsed = withExactCopy(of: encoded) { raw in
            Result { () throws(WireError) -> Packet in try Packet.parse(raw) }
        }
        switch reparsed {
        case .success(let again) where again == packet:
            return nil
        case .success(let again):
            return "re-parsing the serialization of \(packet) gave a different packet \(again)"
        case .failure(let error):
            return "re-parsing the serialization of \(packet) failed: \(error)"
        }
    }

    // MARK: the fast paths

    /// `PacketView` against `Packet.parse` on the bytes as a packet; when a DATA packet parses,
    /// `PacketWriter` against its serialization (``FastPathOracle``).
    private static func checkFastReader(_ bytes: UnsafeRawBufferPointer) -> String? {
        if let problem = FastPathOracle.compareReader(bytes) { return problem }
        if case .success(let packet) = Result(catching: { () throws(WireError) -> Packet in try Packet.parse(bytes) }),
            case .data = packet.body
        {
            return FastPathOracle.compareWriter(packet)
        }
        return nil
    }

    /// `Datagram.verify` + `PacketView` against `Datagram.open` on a whole datagram.
    private static func checkFastDatagram(_ datagram: UnsafeRawBufferPointer, reference: Result<Packet, WireError>) -> String? {
        let fast = Result { () throws(WireError) -> PacketView in try PacketView(validating: try Datagram.verify(datagram)) }
        return compareFast(
            fast, reference: reference,
            header: { () throws(WireError) in
                try Packet.parseHeader(try Datagram.verify(datagram))
            })
    }

    /// The verdicts of the fast reader and the reference on the same input. A handshake packet's
    /// body may fail where the fast path only reads the header (`header` reads it alone).
    private static func compareFast(
        _ fast: Result<PacketView, WireError>, reference: Result<Packet, WireError>,
        header: () throws(WireError) -> Packet.Header
    ) -> String? {
        switch (reference, fast) {
        case let (.success(packet), .success(view)):
            return FastPathOracle.compareView(view, with: packet)
        case let (.failure(expected), .failure(got)):
            return expected == got ? nil : "Packet.parse threw \(expected), PacketView threw \(got)"
        case let (.failure(expected), .success(.handshake(h))):
            let alone = Result { () throws(WireError) -> Packet.Header in try header() }
            guard case .success(let again) = alone, again == h, h.type != .data else {
                return "Packet.parse threw \(expected) but PacketView accepted the header \(h)"
            }
            return nil
        case let (.failure(expected), .success(.data(data))):
            return "Packet.parse threw \(expected) but PacketView accepted a DATA packet of \(data.frameCount) frames"
        case let (.success(packet), .failure(got)):
            return "Packet.parse accepted \(packet) but PacketView threw \(got)"
        }
    }

    /// Calls `body` with a heap copy of `bytes` of exactly their size, so that AddressSanitizer
    /// reports a read of even one byte past the end (an array's spare capacity would hide it).
    static func withExactCopy<R>(of bytes: [UInt8], _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
        defer { buffer.deallocate() }
        buffer.copyBytes(from: bytes)
        return body(UnsafeRawBufferPointer(buffer))
    }

    /// Lowercase hex of `bytes`.
    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        var text = ""
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return text
    }
}
