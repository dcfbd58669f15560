/// Spreads a connection's ack-eliciting packets over the round trip instead of sending the
/// whole congestion window at once (quinn-proto's `pacing.rs`, RFC 9002 section 7.7): a token
/// bucket filled at 5/4 × window / SRTT, holding at most a burst of window × 2 ms / SRTT,
/// clamped to 10 … 256 datagrams. Before the first RTT sample it lets everything through (the
/// initial window is small).
///
/// With an RTT of 2 ms or less (loopback, a LAN, the benchmarks' 1 ms links) the burst is the
/// whole window, so pacing never holds a packet back there; it matters on long paths, where a
/// window's burst would otherwise arrive at the bottleneck queue all at once.
struct Pacer {
    /// The burst interval: the bucket holds what the rate sends in this long.
    static let burstInterval: UInt64 = 2_000_000
    static let minimumBurst = 10
    static let maximumBurst = 256

    /// Bytes that may be sent now without waiting.
    private(set) var tokens: UInt64 = 0
    private var capacity: UInt64 = 0
    private var lastWindow = 0
    private var lastDatagramSize = 0
    /// When `tokens` was last brought up to date.
    private var refilledAt: UInt64 = 0

    /// The bucket's size for `window` bytes over `srtt` nanoseconds.
    static func capacity(window: Int, srtt: UInt64, datagramSize: Int) -> UInt64 {
        let burst = UInt64(window).multipliedFullWidth(by: burstInterval)
        let bytes = srtt == 0 ? UInt64.max : (burst.high >= srtt ? UInt64.max : srtt.dividingFullWidth((burst.high, burst.low)).quotient)
        let lower = UInt64(minimumBurst * datagramSize), upper = UInt64(maximumBurst * datagramSize)
        return min(max(bytes, lower), upper)
    }

    /// When a packet of `size` bytes may go, given the window and SRTT: nil if at once (nothing
    /// is held back), or the time the bucket holds enough.
    mutating func delay(size: Int, window: Int, srtt: UInt64?, datagramSize: Int, now: UInt64) -> UInt64? {
        guard let srtt, srtt > 0, window > 0 else { return nil }
        if window != lastWindow || datagramSize != lastDatagramSize {
            capacity = Self.capacity(window: window, srtt: srtt, datagramSize: datagramSize)
            // A larger window (or a first one) may be used at once; a smaller one caps the tokens.
            if lastWindow == 0 { tokens = capacity }
            tokens = min(tokens, capacity)
            lastWindow = window
            lastDatagramSize = datagramSize
        }
        let needed = UInt64(max(size, 0))
        if tokens >= needed { return nil }
        // Refill: elapsed × 5/4 × window / srtt bytes since the last update.
        let elapsed = now >= refilledAt ? now - refilledAt : 0
        if elapsed > 0 {
            tokens = min(capacity, tokens &+ Self.bytes(in: elapsed, window: window, srtt: srtt))
            refilledAt = now
        }
        if tokens >= needed { return nil }
        // The time until the bucket holds `needed` (at least one packet's worth).
        let missing = needed - tokens
        let perNanosecond = Self.bytes(in: srtt, window: window, srtt: srtt)   // 5/4 × window per SRTT
        let wait = missing.multipliedFullWidth(by: srtt)
        let nanoseconds = perNanosecond == 0 || wait.high >= perNanosecond
            ? srtt
            : perNanosecond.dividingFullWidth((wait.high, wait.low)).quotient + 1
        return now + max(nanoseconds, 1)
    }

    /// A packet of `size` bytes was sent at `now`.
    mutating func onSent(size: Int, now: UInt64) {
        if refilledAt == 0 || now > refilledAt {
            // Bring the bucket up to date lazily: ``delay`` refills when it must wait.
            if refilledAt == 0 { refilledAt = now }
        }
        tokens = tokens >= UInt64(size) ? tokens - UInt64(size) : 0
    }

    /// The bytes the rate sends in `interval` nanoseconds: 5/4 × window × interval / srtt.
    static func bytes(in interval: UInt64, window: Int, srtt: UInt64) -> UInt64 {
        let scaled = UInt64(window) &* 5 / 4
        let product = scaled.multipliedFullWidth(by: interval)
        if product.high >= srtt { return UInt64.max }
        return srtt.dividingFullWidth((product.high, product.low)).quotient
    }
}
