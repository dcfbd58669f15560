import RUDPWire
import Testing

/// Checks the codec against every packet-level vector in `Specs/vectors/`, in both directions.
/// The datagram-level vectors (`datagrams.json`) are checked by ``DatagramTests``.
@Suite("Test vectors")
struct VectorTests {
    @Test("vector", arguments: TestVectors.all)
    func vector(_ v: TestVector) throws {
        switch v.expectation {
        case .unreadable(let why):
            Issue.record("cannot read vector \(v.name) in \(v.file): \(why)")
        case .packet(let expected):
            // parse(hex) == decoded fields
            let parsed: Packet
            do {
                parsed = try Packet.parse(v.bytes)
            } catch {
                Issue.record("\(v.name): expected a packet, parse threw \(error.name): \(error)")
                return
            }
            #expect(parsed == expected, "\(v.name): parsed packet differs from the decoded fields")
            // serialize(decoded) == hex
            let bytes = expected.serialized()
            #expect(bytes == v.bytes, "\(v.name): serialized bytes differ: got \(hex(bytes)), expected \(hex(v.bytes))")
            #expect(expected.encodedSize == v.bytes.count, "\(v.name): encodedSize \(expected.encodedSize) != \(v.bytes.count)")
            // the routing header agrees with the full parse
            let header = try parseHeader(v.bytes)
            #expect(
                header.type == expected.type && header.destination == expected.destination
                    && header.packetNumber == expected.packetNumber, "\(v.name): parseHeader disagrees")
        case .error(let name):
            #expect(WireErrorNames.all.contains(name), "\(v.name): \"\(name)\" is not a WireError name")
            do {
                let packet = try Packet.parse(v.bytes)
                Issue.record("\(v.name): expected error \(name), parsed \(packet)")
            } catch {
                #expect(error.name == name, "\(v.name): expected error \(name), got \(error.name): \(error)")
            }
        }
    }

    /// The vector set covers what `Specs/vectors/README.md` promises.
    @Test func coverage() {
        let vectors = TestVectors.all
        #expect(vectors.count >= 24)
        #expect(Set(vectors.map(\.name)).count == vectors.count, "vector names must be unique")

        var packetTypes = Set<PacketType>(), frameTypes = Set<FrameType>(), modes = Set<DeliveryMode>()
        var ackRangeCounts = Set<Int>(), errors = Set<String>()
        var multiFrame = false, emptyMessage = false, utf8Reason = false
        var plainCookies = Set<Int>(), retryFlags = Set<PacketFlags>(), closeCodes = Set<UInt16>()
        for v in vectors {
            switch v.expectation {
            case .packet(let p):
                packetTypes.insert(p.type)
                if case .connect(_, let cookie) = p.body { plainCookies.insert(cookie.count) }
                if case .retry = p.body { retryFlags.insert(p.flags) }
                if case .data(let frames) = p.body {
                    if frames.count > 1 { multiFrame = true }
                    for f in frames {
                        frameTypes.insert(f.type)
                        switch f {
                        case .ack(let a): ackRangeCounts.insert(a.ranges.count)
                        case .message(let m):
                            modes.insert(m.mode)
                            if m.totalLength == 0 { emptyMessage = true }
                        case .close(let c):
                            closeCodes.insert(c.code.rawValue)
                            if c.reason.utf8.contains(where: { $0 >= 0x80 }) { utf8Reason = true }
                        default: break
                        }
                    }
                }
            case .error(let name): errors.insert(name)
            case .unreadable: break
            }
        }
        #expect(packetTypes == Set(PacketType.allCases))
        #expect(frameTypes == Set(FrameType.allCases))
        #expect(modes == Set(DeliveryMode.allCases))
        #expect(ackRangeCounts.isSuperset(of: [0, 1, AckFrame.maximumRanges]) && ackRangeCounts.contains { $0 > 1 && $0 < 32 })
        #expect(multiFrame && emptyMessage && utf8Reason)
        #expect(plainCookies.isSuperset(of: [0, 16]), "plain CONNECT without and with a cookie")
        #expect(retryFlags.contains(.plain) && retryFlags.contains(where: { $0.contains(.protected) }), "RETRY in both modes")
        #expect(closeCodes.isSuperset(of: [CloseCode.applicationIdle.rawValue, CloseCode.resourceLimit.rawValue]))
        // every error a packet of at most a few hundred bytes can produce (oversize needs 65,508 bytes:
        // see CodecTests.oversize; checksumMismatch is a datagram-level error: see DatagramTests)
        let packetErrors = WireErrorNames.all.subtracting(["oversize", "checksumMismatch"])
        #expect(errors == packetErrors, "missing: \(packetErrors.subtracting(errors))")
    }
}

enum WireErrorNames {
    static let all: Set<String> = [
        "truncated", "oversize", "unsupportedVersion", "unknownPacketType", "invalidFlags", "unknownFrameType",
        "valueOutOfRange", "emptyPacket", "trailingBytes", "invalidAckRanges", "tooManyAckRanges", "invalidFragment",
        "invalidCloseReason", "invalidTransportParameter", "zeroConnectionID", "checksumMismatch", "invalidPadding",
    ]
}

func hex(_ bytes: [UInt8]) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}
