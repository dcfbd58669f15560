import RUDPCore

/// The engine's nanosecond estimates as `Duration`s, for applications.
extension ConnectionStatistics {
    /// The smoothed round-trip time as a `Duration` (`ConnectionStatistics.smoothedRTT` holds it in nanoseconds, as
    /// the engine keeps it).
    ///
    /// ```swift
    /// print(await connection.statistics().smoothedRoundTripTime)   // for example "0.000152 seconds"
    /// ```
    public var smoothedRoundTripTime: Duration { .nanoseconds(Int64(clamping: smoothedRTT)) }

    /// The round-trip time variation as a `Duration` (`ConnectionStatistics.rttVariation` in nanoseconds).
    public var roundTripTimeVariation: Duration { .nanoseconds(Int64(clamping: rttVariation)) }

    /// The smallest round-trip time measured, as a `Duration` (`ConnectionStatistics.minimumRTT` in nanoseconds).
    public var minimumRoundTripTime: Duration { .nanoseconds(Int64(clamping: minimumRTT)) }

    /// The current base retransmission timeout as a `Duration` (`ConnectionStatistics.retransmissionTimeout` in
    /// nanoseconds), comparable with `ConnectionConfiguration.minimumRTO` and the other settings.
    public var currentRetransmissionTimeout: Duration { .nanoseconds(Int64(clamping: retransmissionTimeout)) }
}
