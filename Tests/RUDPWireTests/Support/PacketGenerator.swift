import RUDPWire

/// Random well-formed packets for property tests, biased towards boundary values.
struct PacketGenerator {
    /// Longest MESSAGE payload generated (kept small so that thousands of cases stay fast).
    var maximumPayload = 96
    /// Most frames in one DATA packet.
    var maximumFrames = 8

    static let limit62 = Packet.packetNumberLimit

    func packet(_ r: inout TestRandom) -> Packet {
        let pn = value62(&r)
        switch r.below(14) {
        case 0, 1:
            // CONNECT normally goes to 0; the codec accepts any destination on CONNECT
            let destination = r.chance(80) ? ConnectionID.none : ConnectionID(r.next())
            return Packet(destination: destination, packetNumber: pn, body: .connect(parameters(&r), cookie: cookie(&r)))
        case 2:
            return Packet(destination: nonzeroID(&r), packetNumber: pn, body: .accept(parameters(&r)))
        case 3:
            // RETRY, plain (CRC trailer) or protected: the same body
            let flags: PacketFlags = r.chance(60) ? .plain : r.pick([.authenticated, .authenticatedAndEncrypted])
            return Packet(destination: nonzeroID(&r), packetNumber: pn, body: .retry(cookie: cookie(&r)), flags: flags)
        case 4:
            let flags: PacketFlags = r.pick([.authenticated, .authenticatedAndEncrypted])
            if r.chance(50) {
                return Packet(
                    destination: .none, packetNumber: pn,
                    body: .secureConnect(parameters(&r), clientRandom: r.bytes(Packet.handshakeRandomSize), cookie: cookie(&r)),
                    flags: flags)
            }
            return Packet(
                destination: nonzeroID(&r), packetNumber: pn,
                body: .secureAccept(parameters(&r), serverRandom: r.bytes(Packet.handshakeRandomSize)), flags: flags)
        default:
            let count = 1 + r.below(maximumFrames)
            return Packet(destination: nonzeroID(&r), packetNumber: pn, body: .data((0..<count).map { _ in frame(&r) }))
        }
    }

    /// A retry cookie: often empty (a first CONNECT) or 16 bytes (the plain cookie), sometimes 24
    /// (the secure one), 255 (the longest) or any length in between.
    func cookie(_ r: inout TestRandom) -> [UInt8] {
        switch r.below(6) {
        case 0, 1: return []
        case 2: return r.bytes(16)
        case 3: return r.bytes(24)
        case 4: return r.bytes(Packet.maximumCookieSize)
        default: return r.bytes(r.below(Packet.maximumCookieSize + 1))
        }
    }

    func nonzeroID(_ r: inout TestRandom) -> ConnectionID {
        switch r.below(4) {
        case 0: return ConnectionID(1)
        case 1: return ConnectionID(.max)
        default: return ConnectionID(max(1, r.next()))
        }
    }

    /// A value below 2^62, often at or next to a boundary.
    func value62(_ r: inout TestRandom) -> UInt64 {
        switch r.below(8) {
        case 0: return 0
        case 1: return UInt64(r.below(16))
        case 2: return Self.limit62 - 1 - UInt64(r.below(16))
        case 3: return UInt64(UInt32.max) &+ UInt64(r.below(3)) &- 1
        default: return r.next() >> 2
        }
    }

    func value32(_ r: inout TestRandom) -> UInt32 {
        switch r.below(6) {
        case 0: return 0
        case 1: return .max - UInt32(r.below(3))
        case 2: return UInt32(r.below(300))
        default: return UInt32(truncatingIfNeeded: r.next())
        }
    }

    func parameters(_ r: inout TestRandom) -> TransportParameters {
        TransportParameters(
            sourceConnectionID: nonzeroID(&r),
            maxDatagramSize: r.pick([
                TransportParameters.minimumDatagramSize, 1200, 1472, UInt16(Packet.maximumDatagramSize),
                UInt16.random(in: TransportParameters.minimumDatagramSize...UInt16(Packet.maximumDatagramSize), using: &r),
            ]),
            maxMessageSize: value32(&r),
            initialMaxData: value62(&r),
            channelCount: r.chance(20) ? r.pick([1, 255]) : UInt8.random(in: 1...255, using: &r),
            messageWindow: r.chance(20) ? r.pick([1, .max]) : UInt16.random(in: 1...(.max), using: &r),
            maxAckDelayMicroseconds: r.chance(20) ? r.pick([0, .max]) : UInt16.random(in: 0...(.max), using: &r)
        )
    }

    func frame(_ r: inout TestRandom) -> Frame {
        switch r.below(14) {
        case 0: return .ping
        case 1, 2, 3: return .ack(ack(&r))
        case 4: return .maxData(value62(&r))
        case 5: return .ackFloor(value62(&r))
        case 6, 7, 8, 9: return .message(message(&r))
        case 10: return .pathChallenge(r.chance(20) ? r.pick([0, .max]) : r.next())
        case 11: return .pathResponse(r.chance(20) ? r.pick([0, .max]) : r.next())
        default: return .close(close(&r))
        }
    }

    /// A well-formed ACK: ranges built upwards from above the cumulative point, then reversed.
    func ack(_ r: inout TestRandom) -> AckFrame {
        let count: Int
        switch r.below(6) {
        case 0: count = 0
        case 1: count = 1
        case 2: count = AckFrame.maximumRanges
        default: count = r.below(AckFrame.maximumRanges + 1)
        }
        func small(_ r: inout TestRandom) -> UInt64 {
            switch r.below(5) {
            case 0: return 0
            case 1: return UInt64(UInt32.max)
            case 2: return UInt64(UInt32.random(in: 0 ... .max, using: &r))
            default: return UInt64(r.below(20))
            }
        }
        // (extra missing packets below the range, range length)
        let shape = (0..<count).map { _ in (small(&r), small(&r)) }
        // span above the cumulative point: 1 + extra for the first range, 2 + gap for later ones, plus lengths
        let span = shape.enumerated().reduce(UInt64(0)) { acc, e in acc + (e.offset == 0 ? 1 : 2) + e.element.0 + e.element.1 }
        let cumulative = min(value62(&r), Self.limit62 - 1 - span)
        var ranges: [AckRange] = []
        var next = cumulative + 1  // smallest allowed lower bound
        for (extra, length) in shape {
            let lower = next + extra
            ranges.append(AckRange(lower, lower + length))
            next = lower + length + 2
        }
        return AckFrame(cumulative: cumulative, ackDelayMicroseconds: value32(&r), ranges: ranges.reversed())
    }

    func message(_ r: inout TestRandom) -> MessageFrame {
        let mode = r.pick(DeliveryMode.allCases)
        let channel = r.chance(30) ? r.pick([0, 255]) : r.byte()
        let sequence = value32(&r)
        if r.chance(8) {  // an empty message
            return MessageFrame(channel: channel, mode: mode, sequence: sequence, totalLength: 0, offset: 0, payload: [])
        }
        let length = 1 + r.below(maximumPayload)
        let payload = r.bytes(length)
        // offset + length <= total <= UInt32.max
        let offset: UInt32
        switch r.below(4) {
        case 0: offset = 0
        case 1: offset = UInt32.max - UInt32(length)
        default: offset = UInt32.random(in: 0...(UInt32.max - UInt32(length)), using: &r)
        }
        let end = offset + UInt32(length)
        let total: UInt32 = r.chance(40) ? end : UInt32.random(in: end ... .max, using: &r)
        return MessageFrame(channel: channel, mode: mode, sequence: sequence, totalLength: total, offset: offset, payload: payload)
    }

    func close(_ r: inout TestRandom) -> CloseFrame {
        let code = r.chance(50) ? CloseCode(rawValue: UInt16(r.below(11))) : CloseCode(rawValue: UInt16.random(in: 0 ... .max, using: &r))
        return CloseFrame(code: code, reason: reason(&r))
    }

    /// Valid UTF-8 of at most ``CloseFrame/maximumReasonLength`` bytes, mixing 1- to 4-byte scalars.
    func reason(_ r: inout TestRandom) -> String {
        if r.chance(20) { return "" }
        let budget = r.chance(20) ? CloseFrame.maximumReasonLength : r.below(CloseFrame.maximumReasonLength + 1)
        var scalars = String.UnicodeScalarView()
        var bytes = 0
        while true {
            let candidate: UInt32
            switch r.below(4) {
            case 0: candidate = UInt32(r.below(0x80))
            case 1: candidate = UInt32.random(in: 0x80...0x7FF, using: &r)
            case 2: candidate = UInt32.random(in: 0x800...0xFFFF, using: &r)
            default: candidate = UInt32.random(in: 0x10000...0x10FFFF, using: &r)
            }
            guard let scalar = Unicode.Scalar(candidate) else { continue }  // surrogates
            let size = UTF8.width(scalar)
            if bytes + size > budget { break }
            scalars.append(scalar)
            bytes += size
        }
        return String(scalars)
    }
}
