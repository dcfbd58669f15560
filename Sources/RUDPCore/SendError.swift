/// Why ``Connection/send(_:channel:mode:)`` refused a message. Nothing is queued when it throws.
public enum SendError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The send buffer is full (back-pressure); retry after ``ConnectionEvent/writable``.
    case sendBufferFull
    /// The message is larger than this side's or the peer's maximum message size.
    case messageTooLarge(size: Int, limit: Int)
    /// The channel is not below the negotiated channel count.
    case invalidChannel(UInt8, channelCount: UInt8)
    /// The connection is closing or closed.
    case connectionClosed

    public var description: String {
        switch self {
        case .sendBufferFull: return "send buffer full"
        case let .messageTooLarge(size, limit): return "message of \(size) bytes exceeds the limit of \(limit) bytes"
        case let .invalidChannel(c, n): return "channel \(c) is not below the channel count \(n)"
        case .connectionClosed: return "connection is closing or closed"
        }
    }
}
