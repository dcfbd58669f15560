/// A MESSAGE frame of a validated DATA packet, read in place: the payload is a view into the
/// packet's bytes, not a copy (`Specs/PROTOCOL.md` section 5.5).
///
/// The view is only valid while the packet's memory is: copy the payload out (once, into the
/// message being delivered or reassembled) before the call that received the datagram returns.
/// ``PacketView/init(validating:)`` has checked the flags and that the fragment lies inside its
/// message, so the fields need no further checks.
///
/// ```swift
/// for frame in data.frames {
///     if case .message(let m) = frame, m.isWholeMessage {
///         deliver(channel: m.channel, bytes: m.payload)   // copy the bytes out here
///     }
/// }
/// ```
public struct MessageFrameView {
    /// Channel the message travels on.
    public var channel: UInt8
    /// Delivery mode of the message.
    public var mode: DeliveryMode
    /// Message sequence number, per channel (see ``MessageFrame/sequence``).
    public var sequence: UInt32
    /// Length of the whole message in bytes.
    public var totalLength: UInt32
    /// Position of this fragment inside the message.
    public var offset: UInt32
    /// This fragment's bytes, inside the packet's memory (0 to 65,535 bytes).
    public var payload: UnsafeRawBufferPointer

    @inlinable
    init(channel: UInt8, mode: DeliveryMode, sequence: UInt32, totalLength: UInt32, offset: UInt32, payload: UnsafeRawBufferPointer) {
        self.channel = channel
        self.mode = mode
        self.sequence = sequence
        self.totalLength = totalLength
        self.offset = offset
        self.payload = payload
    }

    /// Whether this fragment is the whole message (offset 0, length = total length): it can be
    /// delivered without reassembly.
    @inlinable public var isWholeMessage: Bool {
        offset == 0 && UInt32(truncatingIfNeeded: payload.count) == totalLength
    }

    /// The frame's encoded size, type byte included.
    @inlinable public var encodedSize: Int { EncodedSize.message(payloadCount: payload.count) }

    /// The frame as a ``MessageFrame`` of the reference codec (allocates a copy of the payload).
    public var frame: MessageFrame {
        MessageFrame(
            channel: channel, mode: mode, sequence: sequence, totalLength: totalLength, offset: offset,
            payload: Array(payload))
    }
}
