import RUDPProxy
import ServiceLifecycle

/// `UDPProxy` as a swift-service-lifecycle `Service`: it relays from
/// `UDPProxy.start(listen:upstream:configuration:group:)` on, and `run()` holds
/// it until graceful shutdown.
///
/// ```swift
/// let proxy = try await UDPProxy.start(listen: listen, upstream: upstream)
/// try await ServiceGroup(services: [proxy], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
/// print(await proxy.statistics())   // the final counters
/// ```
extension UDPProxy: Service {
    /// Waits until graceful shutdown is triggered (or the task is cancelled), then shuts the
    /// proxy down (its sockets close; `UDPProxy.statistics()` keeps the final
    /// counters). Never throws.
    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }
}
