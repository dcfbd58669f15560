import CoreMetrics
import Synchronization

/// An in-process swift-metrics backend: keeps the latest value of every counter, meter,
/// recorder and timer, so a command can print them when it ends (`--metrics`).
///
/// The transport and the commands report through the swift-metrics API (`Counter`, `Meter`,
/// `Timer`); this registry is only the sink that `rudp` installs.
///
/// ```swift
/// let registry = MetricsRegistry.bootstrapOnce()
/// Counter(label: "rudp.example").increment()
/// print(registry.renderedSnapshot())
/// ```
final class MetricsRegistry: MetricsFactory {
    /// One metric's current state.
    struct Value: Sendable {
        /// Counter total, meter or recorder's last value.
        var last: Double = 0
        /// Number of updates (recorders and timers).
        var count: Int = 0
        /// Sum of recorded values (recorders and timers), for the mean.
        var sum: Double = 0
        /// Largest recorded value (recorders and timers).
        var maximum: Double = 0
    }

    /// One handler of any kind, writing into the registry under its key.
    final class Handler: CounterHandler, FloatingPointCounterHandler, MeterHandler, RecorderHandler, TimerHandler {
        private let key: String
        private let registry: MetricsRegistry

        init(key: String, registry: MetricsRegistry) {
            self.key = key
            self.registry = registry
        }

        func increment(by amount: Int64) { registry.update(key) { $0.last += Double(amount) } }
        func increment(by amount: Double) { registry.update(key) { $0.last += amount } }
        func decrement(by amount: Double) { registry.update(key) { $0.last -= amount } }
        func reset() { registry.update(key) { $0 = Value() } }
        func set(_ value: Int64) { registry.update(key) { $0.last = Double(value) } }
        func set(_ value: Double) { registry.update(key) { $0.last = value } }
        func record(_ value: Int64) { record(Double(value)) }
        func record(_ value: Double) {
            registry.update(key) {
                $0.last = value
                $0.count += 1
                $0.sum += value
                $0.maximum = Swift.max($0.maximum, value)
            }
        }
        func recordNanoseconds(_ duration: Int64) { record(Double(duration)) }
        func preferDisplayUnit(_ unit: TimeUnit) {}
    }

    private let values = Mutex<[String: Value]>([:])

    /// The registry installed by ``bootstrapOnce()``.
    private static let installed = Mutex<MetricsRegistry?>(nil)

    /// Installs a registry as the process-wide swift-metrics backend (only the first call
    /// installs; later calls return the same registry). With `alsoTo` (the Prometheus
    /// exporter of `--metrics-port`), every metric goes to both, through swift-metrics'
    /// `MultiplexMetricsHandler`: swift-metrics can be bootstrapped once per process.
    @discardableResult
    static func bootstrapOnce(alsoTo other: (any MetricsFactory)? = nil) -> MetricsRegistry {
        installed.withLock { registry in
            if let registry { return registry }
            let created = MetricsRegistry()
            if let other {
                MetricsSystem.bootstrap(MultiplexMetricsHandler(factories: [created, other]))
            } else {
                MetricsSystem.bootstrap(created)
            }
            registry = created
            return created
        }
    }

    fileprivate func update(_ key: String, _ change: (inout Value) -> Void) {
        values.withLock { change(&$0[key, default: Value()]) }
    }

    private func handler(label: String, dimensions: [(String, String)]) -> Handler {
        let key =
            dimensions.isEmpty
            ? label
            : label + "{" + dimensions.map { "\($0.0)=\($0.1)" }.joined(separator: ",") + "}"
        return Handler(key: key, registry: self)
    }

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        handler(label: label, dimensions: dimensions)
    }

    func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
        handler(label: label, dimensions: dimensions)
    }

    func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
        handler(label: label, dimensions: dimensions)
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        handler(label: label, dimensions: dimensions)
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
        handler(label: label, dimensions: dimensions)
    }

    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyMeter(_ handler: any MeterHandler) {}
    func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}

    /// Every metric by key, sorted by key.
    func snapshot() -> [(key: String, value: Value)] {
        values.withLock { $0.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) } }
    }

    /// One line per metric: `key value` (recorders and timers also show count, mean and max).
    func renderedSnapshot() -> String {
        snapshot().map { entry in
            let value = entry.value
            if value.count > 0 {
                let mean = value.sum / Double(value.count)
                return
                    "\(entry.key) last=\(Self.format(value.last)) count=\(value.count) mean=\(Self.format(mean)) max=\(Self.format(value.maximum))"
            }
            return "\(entry.key) \(Self.format(value.last))"
        }.joined(separator: "\n")
    }

    private static func format(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
    }
}
