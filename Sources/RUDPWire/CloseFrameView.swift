/// A CLOSE frame of a validated DATA packet, read in place (`Specs/PROTOCOL.md` section 5.6).
///
/// The reason's bytes stay a view into the packet (valid UTF-8 of at most 200 bytes, checked by
/// ``PacketView/init(validating:)``); ``reason`` makes the `String`, which may allocate (CLOSE is
/// rare, so this is the one frame whose decoding is allowed to).
///
/// ```swift
/// if case .close(let c) = frame {
///     closeConnection(code: c.code, reason: c.reason)
/// }
/// ```
public struct CloseFrameView {
    /// Why the peer is closing.
    public var code: CloseCode
    /// The reason's UTF-8 bytes, inside the packet's memory.
    public var reasonBytes: UnsafeRawBufferPointer

    @inlinable
    init(code: CloseCode, reasonBytes: UnsafeRawBufferPointer) {
        self.code = code
        self.reasonBytes = reasonBytes
    }

    /// The reason as a string (allocates for reasons longer than 15 bytes).
    public var reason: String { String(decoding: reasonBytes, as: UTF8.self) }

    /// The frame's encoded size, type byte included.
    @inlinable public var encodedSize: Int { EncodedSize.close(reasonByteCount: reasonBytes.count) }

    /// The frame as a ``CloseFrame`` of the reference codec.
    public var frame: CloseFrame { CloseFrame(code: code, reason: reason) }
}
