import ArgumentParser

/// The `--metrics` flag: collect swift-metrics in process and print them to standard error when
/// the command ends.
///
/// ```swift
/// @OptionGroup var metricsOptions: MetricsOptions
/// // at start:
/// metricsOptions.bootstrap()
/// // at the end (also on failure):
/// metricsOptions.printIfRequested()
/// ```
struct MetricsOptions: ParsableArguments {
    @Flag(name: .long, help: "Print the swift-metrics counters, meters and timers of the run to standard error at the end.")
    var metrics = false

    /// Installs the in-process metrics registry (always, so counters work; cheap).
    @discardableResult
    func bootstrap() -> MetricsRegistry {
        MetricsRegistry.bootstrapOnce()
    }

    /// Prints the metrics to standard error if `--metrics` was given.
    func printIfRequested() {
        guard metrics else { return }
        let text = MetricsRegistry.bootstrapOnce().renderedSnapshot()
        Console.writeError("--- metrics ---\n" + (text.isEmpty ? "(none recorded)" : text) + "\n")
    }
}
