import RUDPWire
import Testing

/// Unit tests for what the vectors cannot express: size limits, helper APIs, serializer-side
/// normalization and the constants that `Specs/PROTOCOL.md` quotes.
@Suite("Codec")
struct CodecTests {
    static let server = ConnectionID(0xfedc_ba98_7654_3210)

    @Test func constantsMatchTheSpecification() throws {
        #expect(Packet.version == 2)
        #expect(Packet.headerSize == 19)
        #expect(Packet.maximumDatagramSize == 65_507)
        #expect(Packet.packetNumberLimit == 1 << 62)
        #expect(TransportParameters.encodedSize == 27)
        #expect(TransportParameters.minimumDatagramSize == 256)
        #expect(AckFrame.maximumRanges == 32)
        #expect(MessageFrame.overhead == 17)
        #expect(CloseFrame.maximumReasonLength == 200)
        #expect(PacketType.allCases.map(\.rawValue) == [0x01, 0x02, 0x03, 0x04])
        #expect(FrameType.allCases.map(\.rawValue) == [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08])
        #expect(DeliveryMode.reliableOrdered.rawValue == 0x03)
        #expect(DeliveryMode.reliableUnordered.rawValue == 0x01)
        #expect(DeliveryMode.unreliable.rawValue == 0x00)
        #expect(DeliveryMode.allCases.map(\.isReliable) == [true, true, false])
        #expect(DeliveryMode.allCases.map(\.isOrdered) == [true, false, false])
        #expect(
            [
                CloseCode.normal, .aborted, .protocolViolation, .flowControlViolation, .serverShutdown, .refused,
                .securityRequired, .securityNotConfigured, .securityModeMismatch, .applicationIdle, .resourceLimit,
            ]
            .map(\.rawValue) == Array(0...10))
        #expect(CloseCode.applicationIdle.description == "application idle")
        #expect(CloseCode.resourceLimit.description == "resource limit")
        #expect(!CloseCode.applicationIdle.isSecurityMismatch && !CloseCode.resourceLimit.isSecurityMismatch)
        #expect(CloseCode(rawValue: 0x1234).description == "code 4660")
        let params = TransportParameters(sourceConnectionID: ConnectionID(1))
        let connect = Packet(destination: .none, packetNumber: 0, body: .connect(params, cookie: []))
        #expect(connect.serialized().count == 47)
        #expect(connect.encodedSize == 47)
        let withCookie = Packet(destination: .none, packetNumber: 0, body: .connect(params, cookie: [UInt8](repeating: 7, count: 16)))
        #expect(withCookie.serialized().count == 63 && withCookie.encodedSize == 63)
        let plainRetry = Packet(destination: ConnectionID(1), packetNumber: 0, body: .retry(cookie: [UInt8](repeating: 7, count: 16)))
        #expect(plainRetry.serialized().count == 36 && plainRetry.encodedSize == 36)
    }

    @Test func defaultParameters() {
        let p = TransportParameters(sourceConnectionID: ConnectionID(9))
        #expect(p.maxDatagramSize == 1200)
        #expect(p.maxMessageSize == 1 << 20)
        #expect(p.initialMaxData == 4 << 20)
        #expect(p.channelCount == 8)
        #expect(p.messageWindow == 8192)
        #expect(p.maxAckDelayMicroseconds == 5000)
    }

    @Test func frameSizesAndAckEliciting() {
        let frames: [(Frame, Int, Bool)] = [
            (.ping, 1, true),
            (.ack(AckFrame(cumulative: 3)), 14, false),
            (.ack(AckFrame(cumulative: 0, ranges: [AckRange(5, 9)])), 26, false),
            (.ack(AckFrame(cumulative: 0, ranges: [AckRange(8, 9), AckRange(3, 5)])), 34, false),
            (.maxData(7), 9, false),
            (.ackFloor(7), 9, false),
            (.message(MessageFrame(channel: 0, mode: .unreliable, sequence: 0, totalLength: 3, offset: 0, payload: [1, 2, 3])), 20, true),
            (.close(CloseFrame(code: .normal, reason: "é")), 6, true),
            (.pathChallenge(0x0123_4567_89ab_cdef), 9, false),
            (.pathResponse(0), 9, false),
        ]
        for (frame, size, eliciting) in frames {
            #expect(frame.encodedSize == size, "\(frame)")
            #expect(frame.isAckEliciting == eliciting, "\(frame)")
            var out: [UInt8] = []
            frame.serialize(into: &out)
            #expect(out.count == size, "\(frame)")
            #expect(out.first == frame.type.rawValue)
        }
    }

    @Test func oversize() {
        // checked before anything else, even the version
        let tooBig = [UInt8](repeating: 0, count: Packet.maximumDatagramSize + 1)
        #expect(throws: WireError.oversize(size: Packet.maximumDatagramSize + 1)) { try Packet.parse(tooBig) }
    }

    @Test func largestDatagram() throws {
        let payload = [UInt8](repeating: 0xab, count: Packet.maximumDatagramSize - Packet.headerSize - MessageFrame.overhead)
        let message = MessageFrame(
            channel: 0, mode: .reliableOrdered, sequence: 0, totalLength: UInt32(payload.count),
            offset: 0, payload: payload)
        let packet = Packet(destination: Self.server, packetNumber: 1, body: .data([.message(message)]))
        let bytes = packet.serialized()
        #expect(bytes.count == Packet.maximumDatagramSize)
        #expect(try Packet.parse(bytes) == packet)
        #expect(throws: WireError.oversize(size: bytes.count + 1)) { try Packet.parse(bytes + [0x01]) }
    }

    @Test func emptyBufferWithoutBaseAddress() {
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        #expect(throws: WireError.truncated(offset: 0, needed: 1)) { try Packet.parse(empty) }
        #expect(throws: WireError.truncated(offset: 0, needed: 1)) { try Packet.parseHeader(empty) }
    }

    @Test func errorDetails() {
        #expect(throws: WireError.truncated(offset: 11, needed: 1)) {
            try Packet.parse([2, 3, 0] + [UInt8](repeating: 1, count: 8) + [UInt8](repeating: 0, count: 7))
        }
        #expect(throws: WireError.unknownFrameType(0x09, offset: 20)) {
            try Packet.parse(Packet(destination: Self.server, packetNumber: 0, body: .data([.ping])).serialized() + [0x09])
        }
        #expect(throws: WireError.truncated(offset: 21, needed: 7)) {
            try Packet.parse(Packet(destination: Self.server, packetNumber: 0, body: .data([.ping])).serialized() + [0x07, 1])
        }
        let connect = Packet(
            destination: .none, packetNumber: 0,
            body: .connect(TransportParameters(sourceConnectionID: ConnectionID(1)), cookie: [9])
        ).serialized()
        #expect(throws: WireError.trailingBytes(count: 2)) { try Packet.parse(connect + [0, 0]) }
        // the cookie length says 1, the cookie is missing: cut off after the length byte
        #expect(throws: WireError.truncated(offset: 47, needed: 1)) { try Packet.parse(Array(connect.dropLast())) }
        // no cookie length at all (a version-1 sized CONNECT body)
        #expect(throws: WireError.truncated(offset: 46, needed: 1)) { try Packet.parse(Array(connect.prefix(46))) }
        #expect(throws: WireError.valueOutOfRange(field: "packetNumber")) {
            try Packet.parse([2, 3, 0] + [UInt8](repeating: 1, count: 8) + [0x40] + [UInt8](repeating: 0, count: 7) + [1])
        }
        #expect(throws: WireError.unsupportedVersion(1)) {
            try Packet.parse([1, 3, 0] + [UInt8](repeating: 1, count: 8) + [UInt8](repeating: 0, count: 8) + [1])
        }
    }

    @Test func errorNamesAreStableAndDistinct() {
        let errors: [WireError] = [
            .truncated(offset: 0, needed: 1), .oversize(size: 70_000), .unsupportedVersion(2), .unknownPacketType(9),
            .invalidFlags(1), .unknownFrameType(9, offset: 19), .valueOutOfRange(field: "packetNumber"), .emptyPacket,
            .trailingBytes(count: 1), .invalidAckRanges, .tooManyAckRanges(33), .invalidFragment, .invalidCloseReason,
            .invalidTransportParameter("channelCount"), .zeroConnectionID, .checksumMismatch, .invalidPadding,
        ]
        #expect(Set(errors.map(\.name)) == WireErrorNames.all)
        #expect(errors.count == WireErrorNames.all.count)
        for e in errors { #expect(!e.description.isEmpty) }
    }

    @Test func parseHeaderRoutesWithoutParsingTheBody() throws {
        // a DATA packet whose body is garbage: the header alone is still readable
        var bytes: [UInt8] = []
        Packet.writeHeader(type: .data, destination: Self.server, packetNumber: 77, into: &bytes)
        #expect(bytes.count == Packet.headerSize)
        bytes.append(0xee)
        let header = try parseHeader(bytes)
        #expect(header.type == .data && header.destination == Self.server && header.packetNumber == 77)
        #expect(throws: WireError.unknownFrameType(0xee, offset: 19)) { try Packet.parse(bytes) }
    }

    @Test func ackHelpers() {
        let a = AckFrame(cumulative: 2, ranges: [AckRange(20, 25), AckRange(15, 17), AckRange(4, 6)])
        #expect(a.largestAcknowledged == 25)
        #expect([0, 1, 4, 6, 15, 17, 20, 25].allSatisfy(a.acknowledges))
        #expect(![2, 3, 7, 14, 18, 19, 26].contains(where: a.acknowledges))
        #expect(AckFrame(cumulative: 5).largestAcknowledged == 4)
        #expect(AckFrame(cumulative: 0).largestAcknowledged == nil)
        #expect(!AckFrame(cumulative: 0).acknowledges(0))
    }

    @Test func ackValidation() {
        func check(_ frame: AckFrame, _ expected: WireError?) {
            do {
                try frame.validate()
                #expect(expected == nil, "\(frame) validated")
            } catch {
                #expect(error == expected, "\(frame)")
            }
        }
        check(AckFrame(cumulative: 0, ranges: [AckRange(3, 4), AckRange(1, 1)]), nil)
        check(AckFrame(cumulative: 0, ranges: [AckRange(2, 4), AckRange(1, 1)]), .invalidAckRanges)  // adjacent
        check(AckFrame(cumulative: 0, ranges: [AckRange(1, 1), AckRange(3, 4)]), .invalidAckRanges)  // ascending
        check(AckFrame(cumulative: 0, ranges: [AckRange(5, 4)]), .invalidAckRanges)  // lower > upper
        check(AckFrame(cumulative: 4, ranges: [AckRange(4, 9)]), .invalidAckRanges)  // touches cumulative
        let u32: UInt64 = 0xFFFF_FFFF
        check(AckFrame(cumulative: 0, ranges: [AckRange(1, u32 + 2)]), .invalidAckRanges)  // length > 32 bits
        check(AckFrame(cumulative: 0, ranges: [AckRange(u32 + 4, u32 + 4), AckRange(1, 1)]), .invalidAckRanges)  // gap > 32 bits
        check(AckFrame(cumulative: Packet.packetNumberLimit), .valueOutOfRange(field: "cumulative"))
        check(AckFrame(cumulative: 0, ranges: [AckRange(1, Packet.packetNumberLimit)]), .invalidAckRanges)
        let many: [AckRange] = (0..<33).map { (i: UInt64) in AckRange(200 - 2 * i, 200 - 2 * i) }
        check(AckFrame(cumulative: 0, ranges: many), .tooManyAckRanges(33))
        check(AckFrame(cumulative: 0, ranges: Array(many.prefix(32))), nil)
    }

    @Test func transportParameterValidation() {
        func check(_ change: (inout TransportParameters) -> Void, _ expected: WireError?) {
            var p = TransportParameters(sourceConnectionID: ConnectionID(1))
            change(&p)
            do {
                try p.validate()
                #expect(expected == nil, "\(p) validated")
            } catch {
                #expect(error == expected, "\(p)")
            }
        }
        check({ _ in }, nil)
        check({ $0.sourceConnectionID = .none }, .zeroConnectionID)
        check({ $0.maxDatagramSize = 255 }, .invalidTransportParameter("maxDatagramSize"))
        check({ $0.maxDatagramSize = 65_508 }, .invalidTransportParameter("maxDatagramSize"))
        check({ $0.maxDatagramSize = 65_507 }, nil)
        check({ $0.channelCount = 0 }, .invalidTransportParameter("channelCount"))
        check({ $0.messageWindow = 0 }, .invalidTransportParameter("messageWindow"))
        check({ $0.initialMaxData = Packet.packetNumberLimit }, .invalidTransportParameter("initialMaxData"))
        check(
            {
                $0.maxMessageSize = 0; $0.maxAckDelayMicroseconds = 0
            }, nil)
    }

    @Test func messageWellFormedness() {
        func m(_ total: UInt32, _ offset: UInt32, _ count: Int) -> MessageFrame {
            MessageFrame(
                channel: 0, mode: .unreliable, sequence: 0, totalLength: total, offset: offset,
                payload: [UInt8](repeating: 0, count: count))
        }
        #expect(m(0, 0, 0).isWellFormed)
        #expect(!m(1, 0, 0).isWellFormed)
        #expect(!m(0, 1, 0).isWellFormed)
        #expect(m(10, 6, 4).isWellFormed)
        #expect(!m(10, 7, 4).isWellFormed)
        #expect(!m(.max, .max, 1).isWellFormed)
        #expect(m(.max, .max - 1, 1).isWellFormed)
        #expect(!m(100_000, 0, 65_536).isWellFormed)  // longer than the 16-bit length field
    }

    @Test func longCloseReasonIsCutAtAScalarBoundary() throws {
        // 199 ASCII bytes + "é" (2 bytes) = 201 bytes: the serializer drops the whole "é"
        let reason = String(repeating: "a", count: 199) + "\u{e9}"
        let close = CloseFrame(code: .aborted, reason: reason)
        #expect(close.encodedSize == 4 + 199)
        let packet = Packet(destination: Self.server, packetNumber: 3, body: .data([.close(close)]))
        let bytes = packet.serialized()
        #expect(bytes.count == packet.encodedSize)
        let parsed = try Packet.parse(bytes)
        #expect(parsed.body == .data([.close(CloseFrame(code: .aborted, reason: String(repeating: "a", count: 199)))]))

        // a 4-byte scalar straddling the limit is dropped entirely; one ending at the limit is kept
        let straddling = CloseFrame(code: .normal, reason: String(repeating: "b", count: 198) + "\u{1F44B}")
        #expect(straddling.encodedSize == 4 + 198)
        let fitting = CloseFrame(code: .normal, reason: String(repeating: "b", count: 196) + "\u{1F44B}")
        #expect(fitting.encodedSize == 4 + 200)
    }

    @Test func connectionIDDescription() {
        #expect(ConnectionID(0x1f).description == "000000000000001f")
        #expect(ConnectionID(.max).description == "ffffffffffffffff")
        #expect(ConnectionID.none.rawValue == 0)
        #expect(ConnectionID(1) < ConnectionID(2))
    }
}
