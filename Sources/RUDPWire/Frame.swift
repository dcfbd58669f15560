/// The type byte that starts every frame (`Specs/PROTOCOL.md` section 5).
public enum FrameType: UInt8, Sendable, CaseIterable {
    /// PING (section 5.1).
    case ping = 0x01
    /// ACK (section 5.2).
    case ack = 0x02
    /// MAX_DATA (section 5.3).
    case maxData = 0x03
    /// ACK_FLOOR (section 5.4).
    case ackFloor = 0x04
    /// MESSAGE (section 5.5).
    case message = 0x05
    /// CLOSE (section 5.6).
    case close = 0x06
    /// PATH_CHALLENGE (section 5.7), new in version 2.
    case pathChallenge = 0x07
    /// PATH_RESPONSE (section 5.8), new in version 2.
    case pathResponse = 0x08
}

/// One unit of a DATA packet's payload.
public enum Frame: Hashable, Sendable {
    /// Asks for an acknowledgement; carries nothing (keep-alive, probes).
    case ping
    /// Acknowledges received packets.
    case ack(AckFrame)
    /// Flow-control credit: the peer may send reliable messages whose lengths add up to this many bytes in all.
    case maxData(UInt64)
    /// The sender no longer expects acknowledgements for packet numbers below this value.
    case ackFloor(UInt64)
    /// A message or a fragment of one.
    case message(MessageFrame)
    /// The sender is closing the connection.
    case close(CloseFrame)
    /// Asks the receiver to prove that it receives at the address this packet was sent to: it
    /// answers with ``pathResponse(_:)`` carrying the same 8 data bytes (`Specs/PROTOCOL.md`
    /// section 5.7). The data is 8 opaque bytes, held as a big-endian integer.
    case pathChallenge(UInt64)
    /// Echoes the 8 data bytes of a ``pathChallenge(_:)`` (`Specs/PROTOCOL.md` section 5.8).
    case pathResponse(UInt64)

    /// The frame's type byte.
    public var type: FrameType {
        switch self {
        case .ping: return .ping
        case .ack: return .ack
        case .maxData: return .maxData
        case .ackFloor: return .ackFloor
        case .message: return .message
        case .close: return .close
        case .pathChallenge: return .pathChallenge
        case .pathResponse: return .pathResponse
        }
    }

    /// Whether receiving this frame obliges the receiver to acknowledge the packet.
    /// ACK, MAX_DATA, ACK_FLOOR, PATH_CHALLENGE and PATH_RESPONSE frames alone do not.
    public var isAckEliciting: Bool {
        switch self {
        case .ack, .maxData, .ackFloor, .pathChallenge, .pathResponse: return false
        case .ping, .message, .close: return true
        }
    }

    /// Encoded size including the type byte.
    public var encodedSize: Int {
        switch self {
        case .ping: return 1
        case .ack(let a): return a.encodedSize
        case .maxData, .ackFloor, .pathChallenge, .pathResponse: return 9
        case .message(let m): return m.encodedSize
        case .close(let c): return c.encodedSize
        }
    }

    static func parse(_ reader: inout ByteReader) throws(WireError) -> Frame {
        let at = reader.offset
        let typeByte = try reader.readUInt8()
        guard let type = FrameType(rawValue: typeByte) else { throw .unknownFrameType(typeByte, offset: at) }
        switch type {
        case .ping: return .ping
        case .ack: return .ack(try AckFrame.parse(&reader))
        case .maxData: return .maxData(try reader.readUInt62(field: "maxData"))
        case .ackFloor: return .ackFloor(try reader.readUInt62(field: "ackFloor"))
        case .message: return .message(try MessageFrame.parse(&reader))
        case .close: return .close(try CloseFrame.parse(&reader))
        case .pathChallenge: return .pathChallenge(try reader.readUInt64())
        case .pathResponse: return .pathResponse(try reader.readUInt64())
        }
    }

    /// Appends the encoded frame to `out`.
    public func serialize(into out: inout [UInt8]) {
        out.append(type.rawValue)
        switch self {
        case .ping: break
        case .ack(let a): a.serialize(into: &out)
        case .maxData(let v), .ackFloor(let v), .pathChallenge(let v), .pathResponse(let v): out.appendBigEndian(v)
        case .message(let m): m.serialize(into: &out)
        case .close(let c): c.serialize(into: &out)
        }
    }
}
