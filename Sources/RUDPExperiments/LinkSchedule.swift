import RUDPCore
import RUDPSimulation

/// The data direction's link over time, to average the `(1 − loss) × rate` bound over a window.
struct LinkSchedule {
    var phases: [ExperimentSetup.Phase]
    var partitions: [Range<Duration>]

    /// The time average over `from ..< to` of `(1 − loss) × rate` (zero inside partitions) when
    /// `partitioned`, else of the nominal rate; nil if the rate is unlimited at some point.
    func average(from: Duration, to: Duration, partitioned: Bool) -> Double? {
        guard to > from else {
            let phase = phases.last(where: { $0.start <= from }) ?? phases[0]
            guard let rate = phase.link.bandwidth else { return nil }
            return partitioned ? Double(rate) * (1 - phase.link.expectedLossRate) : Double(rate)
        }
        var cuts = [from, to]
        for phase in phases where phase.start > from && phase.start < to { cuts.append(phase.start) }
        for window in partitions {
            for edge in [window.lowerBound, window.upperBound] where edge > from && edge < to { cuts.append(edge) }
        }
        cuts.sort()
        var total = 0.0
        for (start, end) in zip(cuts, cuts.dropFirst()) where end > start {
            let middle = start + (end - start) / 2
            let phase = phases.last(where: { $0.start <= middle }) ?? phases[0]
            guard let rate = phase.link.bandwidth else { return nil }
            var value = Double(rate)
            if partitioned {
                value *= 1 - phase.link.expectedLossRate
                if partitions.contains(where: { $0.contains(middle) }) { value = 0 }
            }
            total += value * Double((end - start).nanosecondsClamped)
        }
        return total / Double((to - from).nanosecondsClamped)
    }
}
