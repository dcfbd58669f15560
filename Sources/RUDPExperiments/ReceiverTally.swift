import RUDPCore
import RUDPSimulation

/// What the receiving side of an ``ExperimentRunner`` run counts: messages and bytes delivered,
/// their latencies (each message starts with its offer time) and the bytes per sample interval.
///
/// One value, updated once per message (a closure that updated separately captured counters
/// paid a run-time exclusivity check for each of them).
///
/// ```swift
/// var tally = ReceiverTally(intervalNanoseconds: 1_000_000_000, maxIntervals: 62)
/// tally.record(message.bytes, at: now, offerDeadline: nil)
/// print(tally.delivered, tally.histogram.percentile(0.99) ?? 0)
/// ```
struct ReceiverTally {
    /// Width of a ``perInterval`` bucket.
    let intervalNanoseconds: UInt64
    /// Index of the last bucket (later deliveries count there).
    let maxIntervals: Int
    /// Latencies, from the offer time in each message's first 8 bytes.
    var histogram = LatencyHistogram()
    /// Messages delivered.
    var delivered = 0
    /// Payload bytes delivered.
    var deliveredBytes = 0
    /// Payload bytes delivered after the offer deadline.
    var bytesAfterWindow = 0
    /// When the last message was delivered.
    var lastDelivery: Timestamp?
    /// Payload bytes delivered per interval.
    var perInterval: [Int] = []

    /// Counts a message delivered at `now`; after `offerDeadline` its bytes count as outside
    /// the measurement window.
    mutating func record(_ bytes: [UInt8], at now: Timestamp, offerDeadline: Timestamp?) {
        delivered += 1
        deliveredBytes += bytes.count
        if let offerDeadline, now > offerDeadline { bytesAfterWindow += bytes.count }
        lastDelivery = now
        if bytes.count >= 8 {
            var sentAt: UInt64 = 0
            for index in 0..<8 { sentAt |= UInt64(bytes[index]) << (8 * UInt64(index)) }
            histogram.record(now.nanoseconds(since: Timestamp(nanoseconds: sentAt)))
        }
        let bucket = min(Int(now.nanoseconds / intervalNanoseconds), maxIntervals)
        if bucket >= perInterval.count { perInterval += [Int](repeating: 0, count: bucket - perInterval.count + 1) }
        perInterval[bucket] += bytes.count
    }
}
