import RUDPCore
import RUDPImpairment

/// What the proxy does to the datagrams of one direction: the simulator's `LinkOptions`
/// (delay, jitter, uniform and bursty loss, duplication, reordering, corruption, a bandwidth
/// limit with a bounded queue, timed partitions) plus a maximum datagram size.
///
/// The stages and their order are those of `LinkOptions`, decided by the same
/// `ImpairmentModel`; the size limit (``mtu``) is checked first. The proxy's `delay`
/// defaults to zero (the simulator's to 10 ms). Partition windows in ``link`` are measured
/// from the proxy's start (proxy time); ``UDPProxy/partition(for:directions:)`` is the
/// easier way to partition now.
///
/// ```swift
/// var impairments = Impairments(loss: 0.1, delay: .milliseconds(20), jitter: .milliseconds(5))
/// impairments.link.burstLoss = .init(goodToBad: 0.01, badToGood: 0.25)
/// impairments.mtu = 1200
/// try impairments.validate()
/// ```
public struct Impairments: Sendable, Equatable, CustomStringConvertible {
    /// The link conditions (see `LinkOptions`).
    public var link: LinkOptions
    /// Datagrams whose UDP payload is larger than this many bytes are dropped; nil for no limit.
    public var mtu: Int?

    /// No impairment at all: no delay, no loss, no limit.
    public static let none = Impairments()

    /// Creates impairments from link options and a size limit.
    public init(link: LinkOptions, mtu: Int? = nil) {
        self.link = link
        self.mtu = mtu
    }

    /// Creates impairments; every parameter defaults to "no impairment" (and no delay).
    ///
    /// - Parameters:
    ///   - loss: uniform loss probability.
    ///   - burstLoss: Gilbert-Elliott bursty loss, applied before `loss`.
    ///   - duplication: probability that a datagram is delivered twice.
    ///   - reordering: probability that a datagram is held back by up to
    ///     `2 × delay + reorderExtraDelay` so later ones overtake it.
    ///   - reorderExtraDelay: see `reordering`.
    ///   - corruption: probability that 1 to 3 bits are flipped.
    ///   - delay: fixed one-way delay.
    ///   - jitter: upper bound of a uniform extra delay (jitter alone never reorders).
    ///   - bandwidth: bytes per second, or nil for unlimited.
    ///   - queueCapacity: bytes the bottleneck queue in front of `bandwidth` holds (tail drop).
    ///   - mtu: largest UDP payload carried, or nil.
    public init(
        loss: Double = 0,
        burstLoss: LinkOptions.GilbertElliott? = nil,
        duplication: Double = 0,
        reordering: Double = 0,
        reorderExtraDelay: Duration = .milliseconds(5),
        corruption: Double = 0,
        delay: Duration = .zero,
        jitter: Duration = .zero,
        bandwidth: Int? = nil,
        queueCapacity: Int = 64 * 1024,
        mtu: Int? = nil
    ) {
        self.link = LinkOptions(
            delay: delay, jitter: jitter, loss: loss, burstLoss: burstLoss,
            duplication: duplication, reordering: reordering, reorderExtraDelay: reorderExtraDelay,
            corruption: corruption, bandwidth: bandwidth, queueCapacity: queueCapacity)
        self.mtu = mtu
    }

    /// Throws ``ProxyError/invalidImpairment(_:)`` naming the first value out of range.
    public func validate() throws(ProxyError) {
        func probability(_ p: Double, _ name: String) throws(ProxyError) {
            guard p.isFinite, (0...1).contains(p) else {
                throw .invalidImpairment("\(name) must be in 0...1, got \(p)")
            }
        }
        try probability(link.loss, "loss")
        try probability(link.duplication, "duplicate")
        try probability(link.reordering, "reorder")
        try probability(link.corruption, "corrupt")
        if let burst = link.burstLoss {
            try probability(burst.goodToBad, "burst good-to-bad")
            try probability(burst.badToGood, "burst bad-to-good")
            try probability(burst.lossInBad, "burst loss-in-bad")
            try probability(burst.lossInGood, "burst loss-in-good")
        }
        let limit = Duration.seconds(3600)
        for (value, name) in [(link.delay, "delay"), (link.jitter, "jitter"), (link.reorderExtraDelay, "reorder-delay")] {
            guard value >= .zero, value <= limit else {
                throw .invalidImpairment("\(name) must be in 0 ... 3600 s, got \(value)")
            }
        }
        if let bandwidth = link.bandwidth, bandwidth <= 0 {
            throw .invalidImpairment("rate must be positive, got \(bandwidth) B/s")
        }
        guard link.queueCapacity >= 0 else {
            throw .invalidImpairment("queue must not be negative, got \(link.queueCapacity) B")
        }
        if let mtu, mtu < 0 {
            throw .invalidImpairment("mtu must not be negative, got \(mtu)")
        }
    }

    /// Every setting on one line, in the command line's vocabulary (each value reads back).
    public var description: String {
        var parts = [
            "loss \(ImpairmentProbability(link.loss))",
            "burst \(ImpairmentBurst(link.burstLoss))",
            "duplicate \(ImpairmentProbability(link.duplication))",
            "reorder \(ImpairmentProbability(link.reordering))",
            "reorder-delay \(ImpairmentTime(link.reorderExtraDelay))",
            "corrupt \(ImpairmentProbability(link.corruption))",
            "delay \(ImpairmentTime(link.delay))",
            "jitter \(ImpairmentTime(link.jitter))",
            "rate \(ImpairmentRate(bytesPerSecond: link.bandwidth))",
            "queue \(link.queueCapacity)",
            "mtu \(ImpairmentSize(bytes: mtu))",
        ]
        if !link.partitions.isEmpty { parts.append("partitions \(link.partitions.count)") }
        return parts.joined(separator: ", ")
    }
}
