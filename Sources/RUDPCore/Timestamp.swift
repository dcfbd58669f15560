/// A point in time, as nanoseconds since an arbitrary origin chosen by whoever drives the engine.
///
/// The engine never reads a clock: every input carries a `Timestamp`, and time must never go
/// backwards between calls. The transport derives it from a monotonic clock; the simulator from
/// its virtual clock.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Nanoseconds since the origin.
    public var nanoseconds: UInt64

    /// The point `nanoseconds` after the origin.
    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    /// The origin.
    public static let zero = Timestamp(nanoseconds: 0)

    /// Whether `lhs` is earlier than `rhs`.
    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    /// `self` moved forward by `d` (saturating at the largest representable time).
    public static func + (lhs: Timestamp, rhs: Duration) -> Timestamp {
        let (sum, overflow) = lhs.nanoseconds.addingReportingOverflow(rhs.nanosecondsClamped)
        return Timestamp(nanoseconds: overflow ? .max : sum)
    }

    /// `self` moved forward by `nanoseconds` (saturating).
    public func adding(nanoseconds: UInt64) -> Timestamp {
        let (sum, overflow) = self.nanoseconds.addingReportingOverflow(nanoseconds)
        return Timestamp(nanoseconds: overflow ? .max : sum)
    }

    /// Nanoseconds from `earlier` to `self`, or zero if `earlier` is later.
    public func nanoseconds(since earlier: Timestamp) -> UInt64 {
        nanoseconds >= earlier.nanoseconds ? nanoseconds - earlier.nanoseconds : 0
    }

    /// The time from `earlier` to `self` (zero if `earlier` is later).
    public static func - (lhs: Timestamp, rhs: Timestamp) -> Duration {
        .nanoseconds(Int64(clamping: lhs.nanoseconds(since: rhs)))
    }

    /// The time in milliseconds since the origin, for logs, for example `t=1500.0ms`.
    public var description: String {
        let ms = Double(nanoseconds) / 1e6
        return "t=\(ms)ms"
    }
}

/// Conversions of standard durations into the engine's integer nanoseconds.
extension Duration {
    /// This duration in whole nanoseconds, clamped to `0 ... UInt64.max`.
    public var nanosecondsClamped: UInt64 {
        let (seconds, attoseconds) = components
        if seconds < 0 { return 0 }
        let (s, o) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        if o { return .max }
        let (t, o2) = s.addingReportingOverflow(UInt64(max(0, attoseconds) / 1_000_000_000))
        return o2 ? .max : t
    }
}
