import RUDPCore
import RUDPSimulation

/// The engine settings an experiment varies, mapped onto `ConnectionConfiguration` by
/// `configuration(messageSize:)`. Everything not listed keeps the engine's default.
///
/// ```swift
/// var engine = ExperimentEngineSettings()
/// engine.minimumRTO = .milliseconds(100)
/// engine.congestion = .newReno
/// let config = engine.configuration(messageSize: 1_000)
/// ```
public struct ExperimentEngineSettings: Sendable, Equatable {
    /// The congestion controllers the engine has.
    public enum Congestion: String, Sendable, CaseIterable, CustomStringConvertible {
        /// TCP Westwood+: after a loss, the window falls to the measured bandwidth-delay product (the default).
        case westwood = "westwood"
        /// RFC 6582 / RFC 9002 NewReno: the window is halved on every loss event.
        case newReno = "newreno"

        /// The option value, e.g. `newreno`.
        public var description: String { rawValue }

        /// A factory for `ConnectionConfiguration.congestionControllerFactory`.
        public var factory: @Sendable (Int) -> any CongestionController {
            switch self {
            case .westwood: return { WestwoodCongestionController(maxDatagramSize: $0) }
            case .newReno: return { NewRenoCongestionController(maxDatagramSize: $0) }
            }
        }
    }

    private static let defaults = ConnectionConfiguration()

    /// Lower bound of the retransmission timeout.
    public var minimumRTO: Duration = defaults.minimumRTO
    /// Upper bound of the retransmission timeout.
    public var maximumRTO: Duration = defaults.maximumRTO
    /// Retransmission timeout before the first RTT sample.
    public var initialRTO: Duration = defaults.initialRTO
    /// The congestion controller.
    public var congestion: Congestion = .westwood
    /// Whether the sender paces its packets (`ConnectionConfiguration.pacing`).
    public var pacing: Bool = defaults.pacing
    /// The receiver's flow-control window in bytes (raised to the message size if smaller).
    public var receiveWindow: Int = defaults.receiveWindow
    /// How far ahead of the oldest unacknowledged message on a channel the sender may go.
    public var messageWindow: Int = Int(defaults.messageWindow)
    /// The sender's send buffer in bytes; nil sizes it from the link (see ``ExperimentSetup``).
    public var sendBufferBytes: Int?
    /// Largest datagram either side sends.
    public var maxDatagramSize: Int = defaults.maxDatagramSize
    /// How long outstanding data may go unacknowledged before the peer is declared gone.
    public var peerTimeout: Duration = defaults.peerTimeout

    /// Engine defaults, NewReno.
    public init() {}

    /// The connection configuration for messages of `messageSize` bytes, with a send buffer of
    /// `sendBuffer` bytes.
    public func configuration(messageSize: Int, sendBuffer: Int) -> ConnectionConfiguration {
        var config = ConnectionConfiguration()
        config.minimumRTO = minimumRTO
        config.maximumRTO = maximumRTO
        config.initialRTO = initialRTO
        config.congestionControllerFactory = congestion.factory
        config.pacing = pacing
        config.maxDatagramSize = maxDatagramSize
        config.maxMessageSize = messageSize
        config.receiveWindow = max(receiveWindow, config.maxMessageSize)
        config.messageWindow = UInt16(clamping: messageWindow)
        config.sendBufferBytes = max(sendBuffer, config.maxMessageSize)
        config.peerTimeout = peerTimeout
        // A run measures the data path, not dead-peer detection by silence.
        config.idleTimeout = max(config.idleTimeout, peerTimeout * 2)
        return config
    }
}
