/// How a message is delivered.
public enum DeliveryMode: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// Retransmitted until acknowledged; delivered in send order within its channel.
    case reliableOrdered = 0b11
    /// Retransmitted until acknowledged; delivered as soon as it is complete.
    case reliableUnordered = 0b01
    /// Sent once; delivered if every fragment arrives, otherwise silently lost.
    case unreliable = 0b00

    /// Whether the message is retransmitted until acknowledged.
    public var isReliable: Bool { rawValue & 0b01 != 0 }
    /// Whether the message waits for earlier messages on its channel.
    public var isOrdered: Bool { rawValue & 0b10 != 0 }

    /// The mode as the command line and logs spell it: `reliable-ordered`, `reliable-unordered`
    /// or `unreliable`.
    public var description: String {
        switch self {
        case .reliableOrdered: return "reliable-ordered"
        case .reliableUnordered: return "reliable-unordered"
        case .unreliable: return "unreliable"
        }
    }
}
