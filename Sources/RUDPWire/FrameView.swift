/// One frame of a validated DATA packet, decoded in place by ``FrameCursor``: the counterpart
/// of ``Frame`` that allocates nothing (payloads, ACK ranges and CLOSE reasons stay views into the
/// packet's memory, valid as long as it is).
///
/// ```swift
/// for frame in data.frames {
///     switch frame {
///     case .ack(let ack): onAck(ack)
///     case .message(let message): onMessage(message)   // message.payload: UnsafeRawBufferPointer
///     case .maxData(let limit): onMaxData(limit)
///     case .close(let close): onClose(close.code, close.reason)
///     case .ping, .ackFloor, .pathChallenge, .pathResponse: ...
///     }
/// }
/// ```
public enum FrameView {
    /// PING (section 5.1).
    case ping
    /// ACK (section 5.2), its ranges decoded lazily.
    case ack(AckFrameView)
    /// MAX_DATA (section 5.3): the peer's credit limit.
    case maxData(UInt64)
    /// ACK_FLOOR (section 5.4).
    case ackFloor(UInt64)
    /// MESSAGE (section 5.5), its payload a view into the packet.
    case message(MessageFrameView)
    /// CLOSE (section 5.6), its reason a view into the packet.
    case close(CloseFrameView)
    /// PATH_CHALLENGE (section 5.7): 8 opaque bytes as a big-endian integer.
    case pathChallenge(UInt64)
    /// PATH_RESPONSE (section 5.8): 8 opaque bytes as a big-endian integer.
    case pathResponse(UInt64)

    /// The frame's type.
    @inlinable public var type: FrameType {
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

    /// Whether receiving this frame obliges the receiver to acknowledge the packet (as
    /// ``Frame/isAckEliciting``).
    @inlinable public var isAckEliciting: Bool {
        switch self {
        case .ack, .maxData, .ackFloor, .pathChallenge, .pathResponse: return false
        case .ping, .message, .close: return true
        }
    }

    /// The frame's encoded size, type byte included (as ``Frame/encodedSize``).
    @inlinable public var encodedSize: Int {
        switch self {
        case .ping: return EncodedSize.ping
        case .ack(let ack): return ack.encodedSize
        case .maxData: return EncodedSize.maxData
        case .ackFloor: return EncodedSize.ackFloor
        case .message(let message): return message.encodedSize
        case .close(let close): return close.encodedSize
        case .pathChallenge: return EncodedSize.pathChallenge
        case .pathResponse: return EncodedSize.pathResponse
        }
    }

    /// The frame as a ``Frame`` of the reference codec (allocates for ACK ranges, payloads and
    /// reasons); for tests and rare paths.
    public var frame: Frame {
        switch self {
        case .ping: return .ping
        case .ack(let ack): return .ack(ack.frame)
        case .maxData(let value): return .maxData(value)
        case .ackFloor(let value): return .ackFloor(value)
        case .message(let message): return .message(message.frame)
        case .close(let close): return .close(close.frame)
        case .pathChallenge(let data): return .pathChallenge(data)
        case .pathResponse(let data): return .pathResponse(data)
        }
    }
}
