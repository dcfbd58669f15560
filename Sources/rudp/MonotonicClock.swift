#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The system's monotonic clock in nanoseconds (`CLOCK_MONOTONIC`), comparable across tasks and
/// threads of one process; `rudp bench` stamps it into every message.
///
/// ```swift
/// let start = MonotonicClock.nanoseconds()
/// let elapsed = MonotonicClock.nanoseconds() - start
/// ```
enum MonotonicClock {
    /// Nanoseconds since an arbitrary fixed point (boot, on Linux).
    static func nanoseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }
}
