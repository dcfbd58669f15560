import Histogram
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
/// tally.record(message.buffer, at: now, offerDeadline: nil)
/// print(tally.delivered, tally.latency(atPercentile: 99) ?? 0)
/// ```
struct ReceiverTally {
    /// Width of a ``perInterval`` bucket.
    let intervalNanoseconds: UInt64
    /// Index of the last bucket (later deliveries count there).
    let maxIntervals: Int
    /// Latencies in nanoseconds, from the offer time in each message's first 8 bytes, to 3
    /// significant digits (an HdrHistogram that grows to the largest value recorded).
    var latencies = Histogram<UInt64>(numberOfSignificantValueDigits: .three)
    /// The exact sum of the latencies (saturating), for their mean.
    var latencySum: UInt64 = 0
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
        record(ByteBuffer(bytes: bytes), at: now, offerDeadline: offerDeadline)
    }

    /// Counts a delivered message (its buffer's readable bytes), read in place.
    mutating func record(_ buffer: ByteBuffer, at now: Timestamp, offerDeadline: Timestamp?) {
        let count = buffer.readableBytes
        delivered += 1
        deliveredBytes += count
        if let offerDeadline, now > offerDeadline { bytesAfterWindow += count }
        lastDelivery = now
        if let sentAt = buffer.getInteger(at: buffer.readerIndex, endianness: .little, as: UInt64.self) {
            let latency = now.nanoseconds(since: Timestamp(nanoseconds: sentAt))
            latencies.record(latency)
            let (sum, overflow) = latencySum.addingReportingOverflow(latency)
            latencySum = overflow ? .max : sum
        }
        let bucket = min(Int(now.nanoseconds / intervalNanoseconds), maxIntervals)
        if bucket >= perInterval.count { perInterval += [Int](repeating: 0, count: bucket - perInterval.count + 1) }
        perInterval[bucket] += count
    }

    /// The latency at or below which `percentile` (0...100) of the messages arrived (the top of
    /// its HdrHistogram bucket, within 0.1 %); nil if no message arrived.
    func latency(atPercentile percentile: Double) -> UInt64? {
        latencies.totalCount > 0 ? latencies.valueAtPercentile(percentile) : nil
    }

    /// The largest latency (exact); nil if no message arrived.
    var latencyMax: UInt64? { latencies.totalCount > 0 ? latencies.maxRecorded : nil }

    /// The mean latency (exact); nil if no message arrived.
    var latencyMean: Double? { latencies.totalCount > 0 ? Double(latencySum) / Double(latencies.totalCount) : nil }
}
