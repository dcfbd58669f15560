/// Spreads a connection's ack-eliciting packets over the round trip instead of sending what the
/// congestion window allows all at once (`Specs/PROTOCOL.md` section 15.2, RFC 9002 section 7.7,
/// quinn-proto's `pacing.rs`).
///
/// - **Rate**: N × window / SRTT with N = 5/4. N > 1 so that RTT variation and a timer that
///   fires late do not leave part of the window unused (RFC 9002's example value; quinn's too).
/// - **Burst allowance** (the bucket): what the rate sends in 2 ms × 4/5, that is
///   window × 2 ms / SRTT bytes, kept between 10 and 256 datagrams. Ten datagrams is the initial
///   window (RFC 9002 7.7: bursts no larger than it), enough for one segmentation-offload batch,
///   and lets a timer with 1 ms granularity keep up with the rate. 256 bounds the work of one
///   wake-up. With an SRTT of 2 ms or less (loopback, a LAN) the allowance is the whole window up
///   to 256 datagrams and refills within microseconds, so pacing seldom holds anything back there
///   (only while scheduling stalls of the hosts inflate the SRTT: a loaded loopback bench saw 0
///   to 120 holds per 22,000 packets); on a long path it keeps a window's worth from arriving at the bottleneck queue in one burst.
///
/// The bucket holds time, not bytes: ``credit`` nanoseconds of sending at the rate, at most the
/// allowance's time, growing with the clock; a packet of `s` bytes costs `s` / rate. (A change of
/// the window or SRTT then changes the rate of what is left, with no rescaling.) It starts full.
/// Integer nanoseconds throughout, one division per packet, no `Duration`.
///
/// The caller asks ``delay(size:room:window:srtt:datagramSize:now:)`` before an ack-eliciting
/// packet and reports it with ``onSent(size:now:)``; it does neither before the first RTT
/// sample (nothing is paced then: the window is the initial window, at most 10 datagrams, which
/// the allowance would let through anyway) nor for packets that are not paced (ACK-only packets,
/// CLOSE).
struct Pacer {
    /// The burst interval: the allowance holds what window / SRTT sends in this long.
    static let burstInterval: UInt64 = 2_000_000
    /// The allowance in datagrams, at least and at most.
    static let minimumBurst = 10
    static let maximumBurst = 256
    /// SRTTs above this (18 minutes) are taken as this, so no product overflows.
    static let maximumRTT: UInt64 = 1 << 40

    /// Nanoseconds of sending at the rate that may go now (at most ``burst``), as of ``updatedAt``.
    private(set) var credit: UInt64 = .max
    private var updatedAt: UInt64 = 0
    // The inputs the derived values below were computed for.
    private var window = 0
    private var srtt: UInt64 = 0
    private var datagramSize = 0
    /// The allowance, in bytes and as the time the rate takes to send it.
    private(set) var capacity = 0
    private(set) var burst: UInt64 = 0

    init() {}

    /// Nil if a packet of `size` bytes may go at `now`; otherwise the time to try again: when
    /// the credit covers the packet and as much of `room` (what the congestion window still
    /// allows) as the allowance holds, so that one wake-up sends a batch, not one packet.
    mutating func delay(size: Int, room: Int, window: Int, srtt: UInt64, datagramSize: Int, now: UInt64) -> UInt64? {
        guard window > 0 else { return nil }
        if window != self.window || srtt != self.srtt || datagramSize != self.datagramSize {
            update(window: window, srtt: srtt, datagramSize: datagramSize)
        }
        refill(at: now)
        let cost = interval(size)
        if credit >= cost { return nil }
        let target = max(cost, interval(min(capacity, max(size, room))))
        let (deadline, overflow) = now.addingReportingOverflow(target - credit)
        return overflow ? .max : deadline
    }

    /// A paced packet of `size` bytes left at `now` (after a ``delay(size:room:window:srtt:datagramSize:now:)``
    /// that let it go, with the same window and SRTT).
    mutating func onSent(size: Int, now: UInt64) {
        guard window > 0 else { return }
        refill(at: now)
        let cost = interval(size)
        credit = credit > cost ? credit - cost : 0
    }

    /// The credit grows with the clock, up to the allowance: time not used to send beyond it is lost.
    @inline(__always)
    private mutating func refill(at now: UInt64) {
        if now > updatedAt {
            let (sum, overflow) = credit.addingReportingOverflow(now - updatedAt)
            credit = overflow ? .max : sum
            updatedAt = now
        }
        if credit > burst { credit = burst }
    }

    /// The time the rate takes to send `bytes`: bytes × SRTT / (5/4 × window).
    @inline(__always)
    func interval(_ bytes: Int) -> UInt64 {
        Self.scale(UInt64(max(bytes, 0)), by: srtt &* 4, over: UInt64(window) &* 5)
    }

    private mutating func update(window: Int, srtt: UInt64, datagramSize: Int) {
        self.window = window
        self.srtt = min(srtt, Self.maximumRTT)
        self.datagramSize = datagramSize
        let lower = Self.minimumBurst * datagramSize, upper = Self.maximumBurst * datagramSize
        let bytes = self.srtt == 0 ? UInt64.max : Self.scale(UInt64(window), by: Self.burstInterval, over: self.srtt)
        capacity = Int(min(max(bytes, UInt64(lower)), UInt64(upper)))
        burst = interval(capacity)
    }

    /// a × b / c, rounded down, saturating at `UInt64.max`.
    @inline(__always)
    static func scale(_ a: UInt64, by b: UInt64, over c: UInt64) -> UInt64 {
        let (high, low) = a.multipliedFullWidth(by: b)
        if high == 0 { return low / c }
        if high >= c { return .max }
        return c.dividingFullWidth((high, low)).quotient
    }
}
