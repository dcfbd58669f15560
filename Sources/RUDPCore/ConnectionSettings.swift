import RUDPWire

/// A connection's configuration, shared by reference: an endpoint's connections all point at
/// one copy instead of carrying about 250 bytes each.
///
/// It also holds what the engine derives from the configuration once, so the per-packet path
/// never converts a `Duration` (128-bit arithmetic) nor recomputes a size: every time as integer
/// nanoseconds, and the frame sizes the packet builder plans with, taken from the codec's own
/// encoded sizes.
final class ConnectionSettings: Sendable {
    let configuration: ConnectionConfiguration

    // Times, in nanoseconds (`Duration.nanosecondsClamped`).
    let maxAckDelay: UInt64
    let initialRTO: UInt64
    let minimumRTO: UInt64
    let maximumRTO: UInt64
    let connectTimeout: UInt64
    let idleTimeout: UInt64
    let applicationIdleTimeout: UInt64?
    let keepAliveInterval: UInt64?
    let peerTimeout: UInt64

    // Limits used on every packet.
    let maxDatagramSize: Int
    let receiveWindow: Int
    let channelCount: UInt8
    let messageWindow: UInt16
    let maxMessageSize: Int
    let initialMessageSequence: UInt32
    /// Whether ack-eliciting packets are paced (``ConnectionConfiguration/pacing``).
    let pacing: Bool

    init(_ configuration: ConnectionConfiguration) {
        self.configuration = configuration
        maxAckDelay = configuration.maxAckDelay.nanosecondsClamped
        initialRTO = configuration.initialRTO.nanosecondsClamped
        minimumRTO = configuration.minimumRTO.nanosecondsClamped
        maximumRTO = configuration.maximumRTO.nanosecondsClamped
        connectTimeout = configuration.connectTimeout.nanosecondsClamped
        idleTimeout = configuration.idleTimeout.nanosecondsClamped
        applicationIdleTimeout = configuration.applicationIdleTimeout?.nanosecondsClamped
        keepAliveInterval = configuration.keepAliveInterval?.nanosecondsClamped
        peerTimeout = configuration.peerTimeout.nanosecondsClamped
        maxDatagramSize = configuration.maxDatagramSize
        receiveWindow = configuration.receiveWindow
        channelCount = configuration.channelCount
        messageWindow = configuration.messageWindow
        maxMessageSize = configuration.maxMessageSize
        initialMessageSequence = configuration.initialMessageSequence
        pacing = configuration.pacing
    }
}
