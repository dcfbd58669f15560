import RUDPFuzzSupport
import RUDPWire
import Testing

/// The fast paths' API as the engine uses it: examples, batches, in-place payloads and the size
/// planning functions. Equivalence with the reference codec: ``FastPathEquivalenceTests``.
@Suite("Fast path")
struct FastPathTests {
    /// The vector `data-ack-four-ranges`: cumulative 2, ranges [20, 25], [15, 17], [10, 10], [4, 6].
    static let fourRanges = AckFrame(
        cumulative: 2, ackDelayMicroseconds: 25_000,
        ranges: [AckRange(20, 25), AckRange(15, 17), AckRange(10, 10), AckRange(4, 6)])

    static func datagram(_ frames: [Frame], destination: UInt64 = 7, packetNumber: UInt64 = 26) -> [UInt8] {
        var bytes = Packet(destination: ConnectionID(destination), packetNumber: packetNumber, body: .data(frames)).serialized()
        Datagram.seal(&bytes)
        return bytes
    }

    @Test("receive: verify, validate, iterate the frames as views")
    func receiveExample() throws {
        let payload = (0..<1024).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let bytes = Self.datagram([
            .ack(Self.fourRanges),
            .message(
                MessageFrame(
                    channel: 3, mode: .reliableOrdered, sequence: 9,
                    totalLength: 1024, offset: 0, payload: payload)),
            .maxData(1 << 40), .close(CloseFrame(code: .applicationIdle, reason: "idle ✓")),
        ])
        try bytes.withUnsafeBytes { datagram in
            let packet = try Datagram.verify(datagram)
            guard case .data(let data) = try PacketView(validating: packet) else {
                Issue.record("not a DATA packet")
                return
            }
            #expect(data.header.destination == ConnectionID(7) && data.header.packetNumber == 26 && data.header.type == .data)
            #expect(data.frameCount == 4 && data.isAckEliciting)
            var seen: [FrameType] = []
            for frame in data.frames {
                seen.append(frame.type)
                switch frame {
                case .ack(let ack):
                    #expect(ack.cumulative == 2 && ack.ackDelayMicroseconds == 25_000 && ack.rangeCount == 4)
                    #expect(ack.largestAcknowledged == 25)
                    #expect(Array(ack.ranges) == Self.fourRanges.ranges)
                    #expect(Array(ack.rangesAscending) == Self.fourRanges.ranges.reversed())
                    var walker = ack.makeWalker()
                    let acknowledged = (0...30).filter { walker.acknowledges($0) }
                    #expect(acknowledged == [0, 1, 4, 5, 6, 10, 15, 16, 17, 20, 21, 22, 23, 24, 25])
                case .message(let m):
                    #expect(m.channel == 3 && m.mode == .reliableOrdered && m.sequence == 9 && m.isWholeMessage)
                    #expect(m.payload.elementsEqual(payload))
                    // the payload is a view into the datagram, not a copy
                    let start = m.payload.baseAddress! - datagram.baseAddress!
                    #expect(start >= 0 && start + m.payload.count <= datagram.count)
                case .maxData(let limit):
                    #expect(limit == 1 << 40)
                case .close(let close):
                    #expect(close.code == .applicationIdle && close.reason == "idle ✓")
                default:
                    Issue.record("unexpected \(frame.frame)")
                }
            }
            #expect(seen == [.ack, .message, .maxData, .close])
        }
    }

    @Test("a handshake packet gives its header; its body is Packet.parse's")
    func handshake() throws {
        let connect = Packet(
            destination: .none, packetNumber: 0,
            body: .connect(TransportParameters(sourceConnectionID: ConnectionID(5)), cookie: []))
        try connect.serialized().withUnsafeBytes { raw in
            let view = try PacketView(validating: raw)
            guard case .handshake(let header) = view else {
                Issue.record("CONNECT read as \(view)")
                return
            }
            #expect(header.type == .connect && header.destination == .none && view.header == header)
        }
    }

    @Test("the header reader is Packet.parseHeader on every vector")
    func headerReader() {
        for v in TestVectors.all + DatagramVectors.shared.vectors {
            let (a, b) = v.bytes.withUnsafeBytes { raw in
                (
                    Result { () throws(WireError) -> Packet.Header in try Packet.parseHeader(raw) },
                    Result { () throws(WireError) -> Packet.Header in try PacketView.header(raw) }
                )
            }
            #expect(a == b, "\(v.name)")
        }
    }

    @Test("oversize input is rejected first, as Packet.parse does")
    func oversize() {
        var bytes = Self.datagram([.ping])
        bytes += [UInt8](repeating: FrameType.ping.rawValue, count: Packet.maximumDatagramSize + 1 - bytes.count)
        #expect(FastPathOracle.compareReader(bytes) == nil)
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(WireError) -> PacketView in try PacketView(validating: raw) }
        }
        guard case .failure(let error) = result else {
            Issue.record("an oversize packet was accepted")
            return
        }
        #expect(error == .oversize(size: Packet.maximumDatagramSize + 1))
        bytes.removeLast()
        #expect(FastPathOracle.compareReader(bytes) == nil)
    }

    @Test("send: two datagrams back to back in one buffer (a batch), each as the reference seals it")
    func batch() throws {
        let message = [UInt8](repeating: 0xAB, count: 1000)
        let first: [Frame] = [
            .ack(Self.fourRanges),
            .message(
                MessageFrame(
                    channel: 0, mode: .reliableOrdered, sequence: 1,
                    totalLength: 1500, offset: 0, payload: Array(message[..<900]))),
        ]
        let second: [Frame] = [
            .message(
                MessageFrame(
                    channel: 0, mode: .reliableOrdered, sequence: 1, totalLength: 1500, offset: 900,
                    payload: Array(message[..<600]))), .ping,
        ]
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: 2 * 1200, alignment: 8)
        defer { storage.deallocate() }
        var writer = PacketWriter(buffer: storage)
        writer.writeHeader(destination: ConnectionID(7), packetNumber: 26)
        writer.writeAck(cumulative: 2, ackDelayMicroseconds: 25_000, ranges: Self.fourRanges.ranges)
        message.withUnsafeBytes { m in
            writer.writeMessage(
                channel: 0, mode: .reliableOrdered, sequence: 1, totalLength: 1500, offset: 0,
                payload: UnsafeRawBufferPointer(rebasing: m[..<900]))
        }
        let one = writer.sealDatagram()
        writer.writeHeader(destination: ConnectionID(7), packetNumber: 27)
        #expect(writer.packetStart == one.upperBound)
        let place = writer.writeMessageHeader(
            channel: 0, mode: .reliableOrdered, sequence: 1, totalLength: 1500, offset: 900,
            payloadCount: 600)
        place.initializeMemory(as: UInt8.self, repeating: 0xAB)  // assembled in place by the caller
        writer.writePing()
        let two = writer.sealDatagram()
        #expect(Array(storage[one]) == Self.datagram(first))
        #expect(Array(storage[two]) == Self.datagram(second, packetNumber: 27))
        #expect(writer.position == two.upperBound && writer.remaining == 2 * 1200 - two.upperBound)
    }

    @Test("finishPacket leaves the trailer to the caller (the security layer's tag)")
    func finishPacket() {
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 1)
        defer { storage.deallocate() }
        var writer = PacketWriter(buffer: storage, position: 3)
        writer.writeHeader(flags: .authenticated, destination: ConnectionID(9), packetNumber: 4)
        writer.writePathChallenge(0x0102_0304_0506_0708)
        #expect(
            Array(writer.packetBytes)
                == Packet(
                    destination: ConnectionID(9), packetNumber: 4, body: .data([.pathChallenge(0x0102_0304_0506_0708)]),
                    flags: .authenticated
                ).serialized())
        let range = writer.finishPacket()
        #expect(range == 3..<(3 + EncodedSize.header + EncodedSize.pathChallenge))
        #expect(writer.packetStart == range.upperBound && writer.packetBytes.isEmpty)
    }

    @Test("EncodedSize: the reference's constants, and the largest ACK and MESSAGE that fit")
    func sizes() {
        #expect(EncodedSize.header == Packet.headerSize)
        #expect(EncodedSize.crcTrailer == Datagram.trailerSize)
        #expect(EncodedSize.protectionTag == Packet.protectionTagSize)
        #expect(EncodedSize.messageOverhead == MessageFrame.overhead)
        #expect(EncodedSize.ping == Frame.ping.encodedSize)
        #expect(EncodedSize.maxData == Frame.maxData(0).encodedSize && EncodedSize.ackFloor == Frame.ackFloor(0).encodedSize)
        #expect(
            EncodedSize.pathChallenge == Frame.pathChallenge(0).encodedSize && EncodedSize.pathResponse == Frame.pathResponse(0).encodedSize
        )
        #expect(EncodedSize.close(reasonByteCount: 5) == CloseFrame(code: .normal, reason: "hello").encodedSize)
        for n in 0...AckFrame.maximumRanges {
            let ranges: [AckRange] = (0..<n).reversed().map { (i: Int) -> AckRange in
                let pn = UInt64(10 + 3 * i)
                return AckRange(pn, pn)
            }
            #expect(EncodedSize.ack(rangeCount: n) == AckFrame(cumulative: 0, ranges: ranges).encodedSize)
        }
        for bytes in 0...400 {
            let ranges = EncodedSize.maximumAckRanges(fitting: bytes)
            if bytes < EncodedSize.ackWithoutRanges {
                #expect(ranges == nil)
            } else if let n = ranges {
                #expect(EncodedSize.ack(rangeCount: n) <= bytes)
                #expect(n == AckFrame.maximumRanges || EncodedSize.ack(rangeCount: n + 1) > bytes, "\(bytes) bytes: \(n) ranges")
            } else {
                Issue.record("no ACK fits \(bytes) bytes")
            }
        }
        #expect(EncodedSize.maximumMessagePayload(fitting: 16) == nil)
        #expect(EncodedSize.maximumMessagePayload(fitting: 17) == 0)
        #expect(EncodedSize.maximumMessagePayload(fitting: 1200 - 19 - 4) == 1160)
        #expect(EncodedSize.maximumMessagePayload(fitting: 70_000) == 65_535)
    }

    @Test("a CLOSE reason longer than 200 bytes is cut at a code-point boundary, as the reference does")
    func longCloseReason() {
        let close = CloseFrame(code: .refused, reason: String(repeating: "é", count: 150))  // 300 bytes
        let packet = Packet(destination: ConnectionID(1), packetNumber: 0, body: .data([.close(close)]))
        #expect(FastPathOracle.compareWriter(packet) == nil)
        #expect(EncodedSize.close(close) == 4 + 200)
    }

    @Test("the walker and acknowledges(_:) without ranges: only the cumulative point")
    func ackWithoutRanges() throws {
        for cumulative: UInt64 in [0, 1, 5] {
            let bytes = Self.datagram([.ack(AckFrame(cumulative: cumulative))])
            try bytes.withUnsafeBytes { raw in
                guard case .data(let data) = try PacketView(validating: try Datagram.verify(raw)),
                    case .ack(let ack)? = data.frames.first(where: { _ in true })
                else {
                    Issue.record("no ACK")
                    return
                }
                #expect(ack.largestAcknowledged == (cumulative == 0 ? nil : cumulative - 1))
                var walker = ack.makeWalker()
                for pn: UInt64 in 0...8 {
                    #expect(walker.acknowledges(pn) == (pn < cumulative))
                    #expect(ack.acknowledges(pn) == (pn < cumulative))
                }
                #expect(Array(ack.ranges).isEmpty && Array(ack.rangesAscending).isEmpty)
            }
        }
    }
}
