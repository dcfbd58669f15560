import RUDPWire

/// Compares the allocation-free fast paths (``PacketView``, ``PacketWriter``) with the reference
/// codec (`Packet.parse`, `Packet.serialized()`, `Datagram.seal`) on one input. Every function
/// returns nil when they agree, or a description of the first difference. Used by the wire
/// fuzzer (``WireFuzzer``) and by the fast paths' equivalence tests.
///
/// ```swift
/// if let problem = FastPathOracle.compareReader(bytes) { print(problem) }
/// ```
public enum FastPathOracle {
    // MARK: reader

    /// `PacketView(validating:)` against `Packet.parse` on the packet bytes (no trailer): a DATA
    /// packet is accepted by both or rejected by both with the same `WireError` (offsets
    /// included), and then decodes to the same frames; any packet with an invalid header is
    /// rejected by both with the same error; a handshake packet with a valid header gives its
    /// header (its body is not the fast path's business).
    public static func compareReader(_ bytes: [UInt8]) -> String? {
        bytes.withUnsafeBytes { compareReader($0) }
    }

    /// The same check on raw bytes: nil if both readers agree, else what differs.
    public static func compareReader(_ raw: UnsafeRawBufferPointer) -> String? {
        let referenceHeader = Result { () throws(WireError) -> Packet.Header in try Packet.parseHeader(raw) }
        let fastHeader = Result { () throws(WireError) -> Packet.Header in try PacketView.header(raw) }
        if referenceHeader != fastHeader { return "Packet.parseHeader gave \(referenceHeader), PacketView.header \(fastHeader)" }
        let reference = Result { () throws(WireError) -> Packet in try Packet.parse(raw) }
        let fast = Result { () throws(WireError) -> PacketView in try PacketView(validating: raw) }
        switch (reference, fast) {
        case let (.success(packet), .success(view)):
            return compareView(view, with: packet)
        case let (.failure(expected), .failure(got)):
            return expected == got ? nil : "Packet.parse threw \(expected), PacketView threw \(got)"
        case let (.failure(expected), .success(.handshake(header))):
            // Only a handshake packet's body may fail where the fast path looked at the header alone.
            let headerOnly = Result { () throws(WireError) -> Packet.Header in try Packet.parseHeader(raw) }
            guard case .success(let h) = headerOnly, h == header, header.type != .data else {
                return "Packet.parse threw \(expected) but PacketView accepted the header \(header)"
            }
            return nil
        case let (.failure(expected), .success(.data(data))):
            return "Packet.parse threw \(expected) but PacketView accepted a DATA packet of \(data.frameCount) frames"
        case let (.success(packet), .failure(got)):
            return "Packet.parse accepted \(packet) but PacketView threw \(got)"
        }
    }

    /// A successful `PacketView` against the packet the reference parsed from the same bytes.
    public static func compareView(_ view: PacketView, with packet: Packet) -> String? {
        let expectedHeader = (packet.type, packet.flags, packet.destination, packet.packetNumber)
        let h = view.header
        if (h.type, h.flags, h.destination, h.packetNumber) != expectedHeader {
            return "PacketView header \(h) differs from the parsed packet's \(expectedHeader)"
        }
        switch (view, packet.body) {
        case (.handshake, .data):
            return "PacketView called a DATA packet a handshake packet"
        case (.handshake, _):
            return nil
        case (.data, let body) where packet.type != .data:
            return "PacketView called a \(packet.type) packet (\(body)) a DATA packet"
        case let (.data(data), .data(frames)):
            return compareFrames(data, with: frames)
        case (.data, _):
            return "unreachable"
        }
    }

    /// The frames of a `DataPacketView` against the reference's.
    public static func compareFrames(_ data: DataPacketView, with frames: [Frame]) -> String? {
        if data.frameCount != frames.count { return "frameCount \(data.frameCount), expected \(frames.count)" }
        if data.isAckEliciting != frames.contains(where: \.isAckEliciting) {
            return "isAckEliciting \(data.isAckEliciting) for \(frames)"
        }
        var cursor = data.frames
        for (i, expected) in frames.enumerated() {
            guard let view = cursor.next() else { return "the cursor ended after \(i) of \(frames.count) frames" }
            if view.frame != expected { return "frame \(i) decoded as \(view.frame), expected \(expected)" }
            if view.type != expected.type { return "frame \(i): type \(view.type), expected \(expected.type)" }
            if view.isAckEliciting != expected.isAckEliciting { return "frame \(i): isAckEliciting differs" }
            if view.encodedSize != expected.encodedSize {
                return "frame \(i): encodedSize \(view.encodedSize), expected \(expected.encodedSize)"
            }
            if case .ack(let ack) = view, case .ack(let reference) = expected, let problem = compareAck(ack, with: reference) {
                return "frame \(i): \(problem)"
            }
            if case .message(let message) = view, case .message(let reference) = expected {
                let whole = reference.offset == 0 && Int(reference.totalLength) == reference.payload.count
                if message.isWholeMessage != whole { return "frame \(i): isWholeMessage \(message.isWholeMessage)" }
            }
            if case .close(let close) = view, case .close(let reference) = expected {
                if close.reason != reference.reason || close.code != reference.code { return "frame \(i): CLOSE differs" }
            }
        }
        if let extra = cursor.next() { return "the cursor returned an extra frame \(extra.frame)" }
        return nil
    }

    /// An `AckFrameView` against the reference `AckFrame`: ranges both ways, largest
    /// acknowledged, and "acknowledged?" for every packet number next to a boundary, asked both
    /// one at a time and through the ascending walker.
    public static func compareAck(_ ack: AckFrameView, with reference: AckFrame) -> String? {
        if ack.cumulative != reference.cumulative || ack.ackDelayMicroseconds != reference.ackDelayMicroseconds
            || ack.rangeCount != reference.ranges.count
        {
            return "ACK fields differ: \(ack.frame) vs \(reference)"
        }
        if Array(ack.ranges) != reference.ranges { return "ACK ranges \(Array(ack.ranges)), expected \(reference.ranges)" }
        if Array(ack.rangesAscending) != reference.ranges.reversed() {
            return "ascending ACK ranges \(Array(ack.rangesAscending)), expected \(Array(reference.ranges.reversed()))"
        }
        if ack.ranges.underestimatedCount != reference.ranges.count || ack.rangesAscending.underestimatedCount != reference.ranges.count {
            return "underestimatedCount differs"
        }
        if ack.largestAcknowledged != reference.largestAcknowledged {
            return
                "largestAcknowledged \(String(describing: ack.largestAcknowledged)), expected \(String(describing: reference.largestAcknowledged))"
        }
        var probes: Set<UInt64> = [0, 1, reference.cumulative, Packet.packetNumberLimit - 1]
        if reference.cumulative > 0 { probes.insert(reference.cumulative - 1) }
        probes.insert(reference.cumulative + 1)
        for r in reference.ranges {
            for pn in [r.lower &- 1, r.lower, r.lower + 1, r.upper &- 1, r.upper, r.upper &+ 1] where pn < Packet.packetNumberLimit {
                probes.insert(pn)
            }
        }
        var walker = ack.makeWalker()
        for pn in probes.sorted() {
            let expected = reference.acknowledges(pn)
            if ack.acknowledges(pn) != expected { return "acknowledges(\(pn)) is \(!expected) for \(reference)" }
            if walker.acknowledges(pn) != expected { return "the walker says \(!expected) for \(pn) in \(reference)" }
        }
        return nil
    }

    // MARK: writer

    /// Writes `packet` (a DATA packet) with `PacketWriter` into a buffer of exactly the datagram's
    /// size, at `offset` bytes into it, and compares with `serialized()` + `Datagram.seal`. Each
    /// frame is written twice over: once from the reference `Frame` through the specific writers,
    /// once from the frames as the fast reader decodes them (ACK ranges straight from the packet,
    /// payloads from views), as the engine will forward them. Checks the planned sizes too.
    public static func compareWriter(_ packet: Packet, offset: Int = 0) -> String? {
        guard case .data(let frames) = packet.body else { return compareHeaderWriter(packet) }
        var expected = packet.serialized()
        Datagram.seal(&expected)
        let planned = EncodedSize.header + frames.reduce(0) { $0 + size(of: $1) } + EncodedSize.crcTrailer
        if planned != expected.count { return "EncodedSize plans \(planned) bytes for \(expected.count): \(packet)" }

        // From the reference frames.
        let direct = write(count: offset + expected.count, offset: offset) { writer in
            writer.writeHeader(type: .data, flags: packet.flags, destination: packet.destination, packetNumber: packet.packetNumber)
            for frame in frames {
                let before = writer.position
                writeSpecific(frame, into: &writer)
                if writer.position - before != size(of: frame) {
                    return "\(frame) took \(writer.position - before) bytes, planned \(size(of: frame))"
                }
            }
            return nil
        }
        switch direct {
        case .problem(let problem): return problem
        case .bytes(let bytes) where bytes != expected:
            return "PacketWriter wrote \(WireFuzzer.hex(bytes)), the reference \(WireFuzzer.hex(expected)) for \(packet)"
        default: break
        }

        // From the views of the serialized packet, as an engine forwarding what it parsed.
        let packetBytes = Array(expected.dropLast(EncodedSize.crcTrailer))
        let viaViews = packetBytes.withUnsafeBytes { raw -> WriteOutcome in
            guard case .data(let data)? = try? PacketView(validating: raw) else {
                return .problem("PacketView rejected a serialized packet")
            }
            return write(count: offset + expected.count, offset: offset) { writer in
                writer.writeHeader(
                    type: .data, flags: data.header.flags, destination: data.header.destination,
                    packetNumber: data.header.packetNumber)
                for frame in data.frames { writeView(frame, into: &writer) }
                return nil
            }
        }
        switch viaViews {
        case .problem(let problem): return problem
        case .bytes(let bytes) where bytes != expected:
            return "PacketWriter from views wrote \(WireFuzzer.hex(bytes)), the reference \(WireFuzzer.hex(expected)) for \(packet)"
        default: return nil
        }
    }

    /// The header alone for a handshake packet: the first 19 bytes of the reference's encoding.
    public static func compareHeaderWriter(_ packet: Packet) -> String? {
        let expected = Array(packet.serialized().prefix(EncodedSize.header))
        let written = write(count: EncodedSize.header, offset: 0, seal: false) { writer in
            writer.writeHeader(type: packet.type, flags: packet.flags, destination: packet.destination, packetNumber: packet.packetNumber)
            return nil
        }
        guard case .bytes(let bytes) = written, bytes == expected else { return "header of \(packet) written as \(written)" }
        return nil
    }

    /// Runs `body` on a writer over a buffer of exactly `count` bytes starting at `offset`, seals
    /// (unless `seal` is false), and returns the bytes from `offset`; checks that the writer
    /// filled the buffer exactly and that sealing returned the datagram's range.
    public static func write(count: Int, offset: Int, seal: Bool = true, _ body: (inout PacketWriter) -> String?) -> WriteOutcome {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 1)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0xEE)
        var writer = PacketWriter(buffer: buffer, position: offset)
        if let problem = body(&writer) { return .problem(problem) }
        if seal {
            let range = writer.sealDatagram()
            if range != offset..<count { return .problem("sealDatagram returned \(range), expected \(offset..<count)") }
            if writer.packetStart != count { return .problem("packetStart after sealing is \(writer.packetStart)") }
        }
        if writer.position != count || writer.remaining != 0 {
            return .problem("the writer stopped at \(writer.position) of \(count)")
        }
        return .bytes(Array(buffer[offset...]))
    }

    /// What ``write(count:offset:seal:_:)`` produced.
    public enum WriteOutcome {
        case bytes([UInt8])
        case problem(String)
    }

    /// The size `EncodedSize` plans for `frame`.
    public static func size(of frame: Frame) -> Int {
        switch frame {
        case .ping: return EncodedSize.ping
        case .ack(let a): return EncodedSize.ack(rangeCount: a.ranges.count)
        case .maxData: return EncodedSize.maxData
        case .ackFloor: return EncodedSize.ackFloor
        case .message(let m): return EncodedSize.message(payloadCount: m.payload.count)
        case .close(let c): return EncodedSize.close(c)
        case .pathChallenge: return EncodedSize.pathChallenge
        case .pathResponse: return EncodedSize.pathResponse
        }
    }

    /// Writes `frame` with the writer made for its type (not `writeFrame`).
    public static func writeSpecific(_ frame: Frame, into writer: inout PacketWriter) {
        switch frame {
        case .ping: writer.writePing()
        case .ack(let a): writer.writeAck(cumulative: a.cumulative, ackDelayMicroseconds: a.ackDelayMicroseconds, ranges: a.ranges)
        case .maxData(let v): writer.writeMaxData(v)
        case .ackFloor(let v): writer.writeAckFloor(v)
        case .message(let m):
            m.payload.withUnsafeBytes { payload in
                writer.writeMessage(
                    channel: m.channel, mode: m.mode, sequence: m.sequence, totalLength: m.totalLength,
                    offset: m.offset, payload: payload)
            }
        case .close(let c): writer.writeClose(c)
        case .pathChallenge(let v): writer.writePathChallenge(v)
        case .pathResponse(let v): writer.writePathResponse(v)
        }
    }

    /// Writes a decoded frame back: ACK ranges from the view's lazy sequence, MESSAGE payloads
    /// assembled in place through `writeMessageHeader`.
    public static func writeView(_ frame: FrameView, into writer: inout PacketWriter) {
        switch frame {
        case .ack(let a):
            writer.writeAck(cumulative: a.cumulative, ackDelayMicroseconds: a.ackDelayMicroseconds, ranges: a.ranges)
        case .message(let m):
            let place = writer.writeMessageHeader(
                channel: m.channel, mode: m.mode, sequence: m.sequence, totalLength: m.totalLength,
                offset: m.offset, payloadCount: m.payload.count)
            place.copyMemory(from: m.payload)
        default:
            writer.writeFrame(frame.frame)
        }
    }
}
