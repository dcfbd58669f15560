import RUDPCore
import RUDPImpairment
import RUDPSimulation

/// What the application does in an experiment: it offers messages of one size and delivery
/// mode, either a fixed number of them, or for a fixed time, either as fast as the engine takes
/// them or at a fixed rate.
///
/// - `messageCount` set, `duration` nil: send that many messages and run until they are all
///   delivered (reliable modes) or have left the sender (unreliable), at most ``completionLimit``.
/// - `duration` set: offer messages for that long after the handshake (stopping early once
///   `messageCount` are offered), then stop measuring.
/// - `messageRate` nil: keep the engine's send buffer full (a bulk transfer); otherwise offer
///   one message every `1 / messageRate` seconds. Messages the engine refuses (send buffer full)
///   wait in an application backlog of at most ``backlogLimit`` messages; beyond it they are
///   counted as refused.
///
/// Every message starts with its offer time (virtual nanoseconds, little-endian), so latency
/// is measured from the moment the application wanted to send it to its delivery.
///
/// ```swift
/// var workload = ExperimentWorkload()
/// workload.duration = .seconds(60)
/// workload.messageRate = 500
/// workload.messageSize = 1_000
/// ```
public struct ExperimentWorkload: Sendable, Equatable {
    /// How many messages to send; nil for no limit (then `duration` must be set).
    public var messageCount: Int?
    /// How long to offer messages, measured from the end of the handshake; nil to run until
    /// `messageCount` messages are through.
    public var duration: Duration?
    /// Messages offered per second; nil for as fast as the engine accepts them.
    public var messageRate: Double?
    /// Bytes per message (at least 8: the offer time).
    public var messageSize: Int = 1_000
    /// How the messages are delivered.
    public var mode: DeliveryMode = .reliableOrdered
    /// Upper bound of virtual time for a run with a message count and no duration, so a run
    /// under a dead link still ends.
    public var completionLimit: Duration = .seconds(600)
    /// The longest ``duration`` accepted.
    public static let maximumDuration: Duration = .seconds(3600)

    /// When a run stops at the latest: ``completionLimit``, or the duration plus two minutes
    /// for the handshake and for draining, whichever is later.
    public var runLimit: Duration {
        max(completionLimit, (duration ?? .zero) + .seconds(120))
    }
    /// Most messages waiting in the application for room in the send buffer (rate mode).
    public var backlogLimit: Int = 100_000

    /// A workload of 10 s of bulk transfer of 1000-byte reliable-ordered messages.
    public init() {
        duration = .seconds(10)
    }

    /// The smallest message: the 8-byte offer time.
    public static let minimumMessageSize = 8

    /// Checks the workload; throws a description of the first problem.
    public func validate() throws(ExperimentError) {
        if messageCount == nil && duration == nil {
            throw .invalidSetup("the workload needs --messages or --duration (or both)")
        }
        if let messageCount, messageCount < 1 { throw .invalidSetup("--messages must be at least 1") }
        if let duration, duration <= .zero { throw .invalidSetup("--duration must be positive") }
        if messageSize < Self.minimumMessageSize {
            throw .invalidSetup("--size must be at least \(Self.minimumMessageSize) bytes (each message carries its send time)")
        }
        if let duration, duration > Self.maximumDuration {
            throw .invalidSetup(
                "--duration \(Quantity.formatDuration(duration)) exceeds the limit of \(Quantity.formatDuration(Self.maximumDuration)) of virtual time"
            )
        }
        if let messageRate {
            let seconds = Double(runLimit.nanosecondsClamped) / 1e9
            let offers = Double(messageCount ?? .max)
            if min(offers, messageRate * seconds) > 100_000_000 {
                throw .invalidSetup(
                    "--message-rate \(messageRate) for \(Quantity.formatDuration(runLimit)) offers more than 100 million messages; lower the rate or the duration"
                )
            }
        }
    }
}
