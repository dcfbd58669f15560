/// Why ``Connection/send(_:channel:mode:)-(ByteBuffer,_,_)`` refused a message. Nothing is queued when it throws.
///
/// A struct rather than an enum (swift-nio-ssh's `NIOSSHError` pattern) so that new kinds of
/// refusal can be added without breaking a caller's exhaustive `switch`: switch on ``code``
/// and keep a `default:` branch, or compare errors with `==` (code and details).
///
/// ```swift
/// do {
///     _ = try connection.send(bytes, channel: 0, mode: .reliableOrdered)
/// } catch {   // a SendError: send(_:channel:mode:) throws(SendError)
///     switch error.code {
///     case .sendBufferFull: break   // back-pressure: send again after ConnectionEvent.writable
///     default: print(error)         // "message of 2000000 bytes exceeds the limit of 1048576 bytes"
///     }
/// }
/// ```
public struct SendError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of refusal, to switch on (with a `default:` branch: new codes may be added).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case sendBufferFull, messageTooLarge, invalidChannel, connectionClosed
        }

        fileprivate var base: Base

        /// The send buffer is full (back-pressure); retry after ``ConnectionEvent/writable``.
        public static let sendBufferFull = Code(base: .sendBufferFull)
        /// The message is larger than this side's or the peer's maximum message size.
        public static let messageTooLarge = Code(base: .messageTooLarge)
        /// The channel is not below the negotiated channel count.
        public static let invalidChannel = Code(base: .invalidChannel)
        /// The connection is closing or closed.
        public static let connectionClosed = Code(base: .connectionClosed)

        /// The code's stable name, for example `"sendBufferFull"`.
        public var description: String { base.rawValue }
    }

    /// The refusal with its details; internal so that it can grow.
    private enum Storage: Hashable, Sendable {
        case sendBufferFull
        case messageTooLarge(size: Int, limit: Int)
        case invalidChannel(UInt8, channelCount: UInt8)
        case connectionClosed
    }

    private var storage: Storage

    private init(_ storage: Storage) { self.storage = storage }

    /// The send buffer is full (back-pressure); retry after ``ConnectionEvent/writable``.
    public static let sendBufferFull = SendError(.sendBufferFull)

    /// The message of `size` bytes is larger than `limit`, the smaller of this side's and the
    /// peer's maximum message size (both in bytes).
    public static func messageTooLarge(size: Int, limit: Int) -> SendError {
        SendError(.messageTooLarge(size: size, limit: limit))
    }

    /// `channel` is not below `channelCount`, the number of channels negotiated with the peer.
    public static func invalidChannel(_ channel: UInt8, channelCount: UInt8) -> SendError {
        SendError(.invalidChannel(channel, channelCount: channelCount))
    }

    /// The connection is closing or closed.
    public static let connectionClosed = SendError(.connectionClosed)

    /// The kind of refusal.
    public var code: Code {
        switch storage {
        case .sendBufferFull: return .sendBufferFull
        case .messageTooLarge: return .messageTooLarge
        case .invalidChannel: return .invalidChannel
        case .connectionClosed: return .connectionClosed
        }
    }

    /// For ``Code/messageTooLarge``: the size of the refused message in bytes; otherwise nil.
    public var messageSize: Int? {
        if case let .messageTooLarge(size, _) = storage { return size }
        return nil
    }

    /// For ``Code/messageTooLarge``: the largest message size allowed, in bytes; otherwise nil.
    public var sizeLimit: Int? {
        if case let .messageTooLarge(_, limit) = storage { return limit }
        return nil
    }

    /// For ``Code/invalidChannel``: the channel asked for; otherwise nil.
    public var channel: UInt8? {
        if case let .invalidChannel(channel, _) = storage { return channel }
        return nil
    }

    /// For ``Code/invalidChannel``: the number of channels negotiated; otherwise nil.
    public var channelCount: UInt8? {
        if case let .invalidChannel(_, count) = storage { return count }
        return nil
    }

    /// What went wrong, in words, for example "send buffer full".
    public var description: String {
        switch storage {
        case .sendBufferFull: return "send buffer full"
        case let .messageTooLarge(size, limit): return "message of \(size) bytes exceeds the limit of \(limit) bytes"
        case let .invalidChannel(c, n): return "channel \(c) is not below the channel count \(n)"
        case .connectionClosed: return "connection is closing or closed"
        }
    }
}
