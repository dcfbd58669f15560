import RUDPCore

/// The conditions of one directed link of the simulated network: delay, jitter, loss (uniform
/// and bursty), duplication, reordering, corruption, a bandwidth limit with a bounded queue, and
/// partitions.
///
/// In the simulator all times are virtual (`RUDPSimulation.NetworkSimulator`), in the proxy
/// real; all probabilities are per datagram, in `0 ... 1`. The default value is a clean link
/// with a 10 ms one-way delay and no impairment.
///
/// A datagram entering a link goes through these stages, in this order, and the first one that
/// drops it ends its journey:
///
/// 1. **Partition**: if the send time falls in one of ``partitions`` (`start ..< end`), it is dropped.
/// 2. **Bottleneck queue** (only with a ``bandwidth``): if the bytes still waiting to be
///    serialized plus this datagram exceed ``queueCapacity``, it is dropped (tail drop);
///    otherwise it leaves the queue, in FIFO order, after `size / bandwidth` of serialization.
/// 3. **Bursty loss** (``burstLoss``), then **uniform loss** (``loss``).
/// 4. **Corruption**: with probability ``corruption``, 1 to 3 distinct random bits are flipped.
/// 5. **Propagation**: ``delay`` plus a uniform draw in `0 ... jitter`. Jitter alone never
///    reorders (see `RUDPSimulation.Link`); with probability ``reordering`` the datagram is
///    instead held back by an extra uniform delay in `0 ... 2 × delay + reorderExtraDelay`, so
///    later datagrams overtake it.
/// 6. **Duplication**: with probability ``duplication`` a second copy is delivered, in order,
///    after its own propagation draw.
///
/// ```swift
/// var options = LinkOptions(delay: .milliseconds(20), jitter: .milliseconds(5), loss: 0.02)
/// options.burstLoss = .init(goodToBad: 0.01, badToGood: 0.3)
/// options.partitions = [Timestamp.zero + .seconds(2) ..< Timestamp.zero + .seconds(4)]
/// print(options)   // every option, for failure messages
/// ```
public struct LinkOptions: Sendable, Equatable, CustomStringConvertible {
    /// Base one-way propagation delay.
    public var delay: Duration
    /// Upper bound of the uniform extra delay `0 ... jitter` added to each datagram.
    public var jitter: Duration
    /// Probability that a datagram is lost, independently of the others.
    public var loss: Double
    /// Bursty (Gilbert-Elliott) loss, applied before ``loss``; nil disables it.
    public var burstLoss: GilbertElliott?
    /// Probability that a datagram is delivered twice.
    public var duplication: Double
    /// Probability that a datagram is held back so that later ones overtake it.
    public var reordering: Double
    /// The slack added to `2 × delay` to bound the extra delay of a reordered datagram.
    public var reorderExtraDelay: Duration
    /// Probability that 1 to 3 bits of a datagram are flipped.
    public var corruption: Double
    /// Bottleneck rate in bytes per second, or nil for unlimited.
    public var bandwidth: Int?
    /// Capacity, in bytes, of the bottleneck queue in front of a limited ``bandwidth``; counts
    /// every datagram not yet fully serialized, including the one being serialized. Unused when
    /// ``bandwidth`` is nil.
    public var queueCapacity: Int
    /// Time windows `start ..< end` (virtual time) during which every datagram sent on the link
    /// is dropped. The link heals when a window ends.
    public var partitions: [Range<Timestamp>]

    /// Creates link options; every parameter defaults to "no impairment", with a 10 ms delay.
    ///
    /// ```swift
    /// let lossy = LinkOptions(delay: .milliseconds(30), loss: 0.1, duplication: 0.01)
    /// ```
    public init(
        delay: Duration = .milliseconds(10),
        jitter: Duration = .zero,
        loss: Double = 0,
        burstLoss: GilbertElliott? = nil,
        duplication: Double = 0,
        reordering: Double = 0,
        reorderExtraDelay: Duration = .milliseconds(5),
        corruption: Double = 0,
        bandwidth: Int? = nil,
        queueCapacity: Int = 64 * 1024,
        partitions: [Range<Timestamp>] = []
    ) {
        self.delay = delay
        self.jitter = jitter
        self.loss = loss
        self.burstLoss = burstLoss
        self.duplication = duplication
        self.reordering = reordering
        self.reorderExtraDelay = reorderExtraDelay
        self.corruption = corruption
        self.bandwidth = bandwidth
        self.queueCapacity = queueCapacity
        self.partitions = partitions
    }

    /// The long-run fraction of datagrams lost to ``loss`` and ``burstLoss`` together (ignoring
    /// queue drops and partitions).
    public var expectedLossRate: Double {
        let burst = burstLoss?.stationaryLossRate ?? 0
        return 1 - (1 - burst) * (1 - loss)
    }

    /// Every option on one line, e.g. for a failure message.
    public var description: String {
        let burst = burstLoss.map { "\($0)" } ?? "none"
        let rate = bandwidth.map { "\($0) B/s" } ?? "unlimited"
        let windows = partitions.map { "\(formatTime($0.lowerBound))..<\(formatTime($0.upperBound))" }
        return "LinkOptions(delay: \(formatDuration(delay)), jitter: \(formatDuration(jitter)), "
            + "loss: \(loss), burstLoss: \(burst), duplication: \(duplication), "
            + "reordering: \(reordering), reorderExtraDelay: \(formatDuration(reorderExtraDelay)), "
            + "corruption: \(corruption), bandwidth: \(rate), queueCapacity: \(queueCapacity) B, "
            + "partitions: [\(windows.joined(separator: ", "))])"
    }

    /// Traps with a readable message if an option is out of range (a programming error).
    func validate() {
        func checkProbability(_ p: Double, _ name: String) {
            precondition((0...1).contains(p), "LinkOptions.\(name) must be in 0...1, got \(p)")
        }
        checkProbability(loss, "loss")
        checkProbability(duplication, "duplication")
        checkProbability(reordering, "reordering")
        checkProbability(corruption, "corruption")
        if let burstLoss {
            checkProbability(burstLoss.goodToBad, "burstLoss.goodToBad")
            checkProbability(burstLoss.badToGood, "burstLoss.badToGood")
            checkProbability(burstLoss.lossInBad, "burstLoss.lossInBad")
            checkProbability(burstLoss.lossInGood, "burstLoss.lossInGood")
        }
        precondition(
            delay >= .zero && jitter >= .zero && reorderExtraDelay >= .zero,
            "LinkOptions durations must not be negative: \(self)")
        if let bandwidth { precondition(bandwidth > 0, "LinkOptions.bandwidth must be positive, got \(bandwidth)") }
        precondition(queueCapacity >= 0, "LinkOptions.queueCapacity must not be negative, got \(queueCapacity)")
    }
}
