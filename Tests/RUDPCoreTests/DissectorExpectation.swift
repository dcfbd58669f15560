import RUDPWire

/// What `Specs/wireshark/rudp.lua` must show for a datagram, computed with the reference codec:
/// the `rudp2.*` fields as `tshark -T fields -E occurrence=a -E aggregator=,` prints them, and
/// the error the reference reports (`WireError.name`), if any.
struct DissectorExpectation: Equatable {
    /// The fields compared for a datagram the reference accepts.
    static let fields = [
        "rudp2.type", "rudp2.flags", "rudp2.dcid", "rudp2.pn",
        "rudp2.params.scid", "rudp2.params.max_datagram_size", "rudp2.params.initial_max_data",
        "rudp2.cookie_length", "rudp2.cookie", "rudp2.client_random", "rudp2.server_random",
        "rudp2.frame.type", "rudp2.ack.cumulative", "rudp2.ack.delay", "rudp2.ack.range.lower", "rudp2.ack.range.upper",
        "rudp2.max_data", "rudp2.ack_floor",
        "rudp2.msg.channel", "rudp2.msg.mode", "rudp2.msg.sequence", "rudp2.msg.total_length", "rudp2.msg.offset",
        "rudp2.msg.length", "rudp2.msg.payload",
        "rudp2.close.code", "rudp2.close.reason", "rudp2.path_challenge.data", "rudp2.path_response.data",
        "rudp2.protected_payload", "rudp2.crc.status", "rudp2.error",
    ]

    /// The fields every decoded datagram is checked for besides: errors of the Lua code itself,
    /// malformed-packet markers, and the column text.
    static let diagnostics = ["_ws.lua.error", "_ws.malformed", "_ws.expert.message", "_ws.col.Info", "frame.protocols"]

    /// The reference's error for the datagram (nil: it is valid).
    var error: String?
    /// For a valid datagram, the value of every field of ``fields`` ("" when absent).
    var values: [String: String]

    /// Whether the dissector treats the datagram as protected: its flags are 0x01 or 0x03
    /// (PROTOCOL.md 20.1); anything else is checked as a plain datagram with a CRC-32C trailer.
    static func isProtected(_ datagram: [UInt8]) -> Bool {
        datagram.count >= 3 && (datagram[2] == 0x01 || datagram[2] == 0x03)
    }

    init(datagram: [UInt8]) {
        values = [:]
        for field in Self.fields { values[field] = "" }
        let packet: Packet
        do throws(WireError) {
            if datagram.count > Packet.maximumDatagramSize { throw .oversize(size: datagram.count) }
            if Self.isProtected(datagram) {
                // SECURITY.md 4.4 step 1, then the packet in front of the tag (PROTOCOL.md 20)
                let minimum = Packet.headerSize + Packet.protectionTagSize
                if datagram.count < minimum { throw .truncated(offset: datagram.count, needed: minimum - datagram.count) }
                let bytes = Array(datagram.dropLast(Packet.protectionTagSize))
                if datagram[1] == PacketType.data.rawValue && datagram[2] == PacketFlags.authenticatedAndEncrypted.rawValue {
                    // encrypted DATA: only the header can be read without the key
                    let header = try bytes.withUnsafeBytes { raw in
                        Result { () throws(WireError) -> Packet.Header in try Packet.parseHeader(raw) }
                    }.get()
                    if bytes.count == Packet.headerSize { throw .emptyPacket }
                    setHeader(type: header.type, flags: header.flags, destination: header.destination, packetNumber: header.packetNumber)
                    values["rudp2.protected_payload"] = Self.hex(Array(bytes.dropFirst(Packet.headerSize)))
                    return
                }
                packet = try Packet.parse(bytes)
            } else {
                packet = try Datagram.open(datagram)
                values["rudp2.crc.status"] = "1"
            }
        } catch {
            self.error = error.name
            return
        }
        render(packet)
    }

    private mutating func setHeader(type: PacketType, flags: PacketFlags, destination: ConnectionID, packetNumber: UInt64) {
        values["rudp2.type"] = Self.hex8(type.rawValue)
        values["rudp2.flags"] = Self.hex8(flags.rawValue)
        values["rudp2.dcid"] = Self.hex64(destination.rawValue)
        values["rudp2.pn"] = String(packetNumber)
    }

    private mutating func render(_ packet: Packet) {
        setHeader(type: packet.type, flags: packet.flags, destination: packet.destination, packetNumber: packet.packetNumber)
        switch packet.body {
        case let .connect(parameters, cookie):
            render(parameters)
            render(cookie: cookie)
        case .accept(let parameters):
            render(parameters)
        case let .secureConnect(parameters, clientRandom, cookie):
            render(parameters)
            values["rudp2.client_random"] = Self.hex(clientRandom)
            render(cookie: cookie)
        case let .secureAccept(parameters, serverRandom):
            render(parameters)
            values["rudp2.server_random"] = Self.hex(serverRandom)
        case .retry(let cookie):
            render(cookie: cookie)
        case .data(let frames):
            render(frames)
        }
    }

    private mutating func render(_ parameters: TransportParameters) {
        values["rudp2.params.scid"] = Self.hex64(parameters.sourceConnectionID.rawValue)
        values["rudp2.params.max_datagram_size"] = String(parameters.maxDatagramSize)
        values["rudp2.params.initial_max_data"] = String(parameters.initialMaxData)
    }

    private mutating func render(cookie: [UInt8]) {
        values["rudp2.cookie_length"] = String(cookie.count)
        values["rudp2.cookie"] = Self.hex(cookie)
    }

    private mutating func render(_ frames: [Frame]) {
        var list: [String: [String]] = [:]
        func add(_ field: String, _ value: String) { list[field, default: []].append(value) }
        for frame in frames {
            add("rudp2.frame.type", Self.hex8(frame.type.rawValue))
            switch frame {
            case .ping:
                break
            case .ack(let ack):
                add("rudp2.ack.cumulative", String(ack.cumulative))
                add("rudp2.ack.delay", String(ack.ackDelayMicroseconds))
                for range in ack.ranges {
                    add("rudp2.ack.range.lower", String(range.lower))
                    add("rudp2.ack.range.upper", String(range.upper))
                }
            case .maxData(let value):
                add("rudp2.max_data", String(value))
            case .ackFloor(let value):
                add("rudp2.ack_floor", String(value))
            case .message(let m):
                add("rudp2.msg.channel", String(m.channel))
                add("rudp2.msg.mode", Self.hex8(m.mode.rawValue))
                add("rudp2.msg.sequence", String(m.sequence))
                add("rudp2.msg.total_length", String(m.totalLength))
                add("rudp2.msg.offset", String(m.offset))
                add("rudp2.msg.length", String(m.payload.count))
                if !m.payload.isEmpty { add("rudp2.msg.payload", Self.hex(m.payload)) }
            case .close(let close):
                add("rudp2.close.code", String(close.code.rawValue))
                if !close.reason.isEmpty { add("rudp2.close.reason", close.reason) }
            case .pathChallenge(let data):
                add("rudp2.path_challenge.data", String(Self.hex64(data).dropFirst(2)))
            case .pathResponse(let data):
                add("rudp2.path_response.data", String(Self.hex64(data).dropFirst(2)))
            }
        }
        for (field, entries) in list { values[field] = entries.joined(separator: ",") }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        var text = ""
        text.reserveCapacity(bytes.count * 2)
        for b in bytes {
            text.append(digits[Int(b >> 4)])
            text.append(digits[Int(b & 0x0f)])
        }
        return text
    }

    static func hex8(_ value: UInt8) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 2 - digits.count) + digits
    }

    static func hex64(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// The fields of a tshark row that differ from this expectation, as readable lines.
    func differences(from row: [String: String]) -> [String] {
        var lines: [String] = []
        let actualError = row["rudp2.error"] ?? ""
        if let error {
            if actualError != error { lines.append("error: expected \(error), dissector shows '\(actualError)'") }
            return lines
        }
        for field in Self.fields {
            let expected = values[field] ?? ""
            let actual = row[field] ?? ""
            if expected != actual { lines.append("\(field): expected '\(expected)', dissector shows '\(actual)'") }
        }
        return lines
    }
}
