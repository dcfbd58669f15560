import RUDP
import ServiceLifecycle

/// `RUDPServer` as a swift-service-lifecycle `Service`: a `ServiceGroup` runs it beside the
/// application's other services and shuts it down cleanly on SIGTERM or SIGINT.
///
/// The server accepts connections from `RUDPServer.bind(host:port:configuration:workers:)`
/// on; `run()` only holds it until graceful shutdown. Serve its connections with
/// `RUDPServer.serve(handlersOnEventLoop:_:)`, `RUDPServer.serveMessages(handlersOnEventLoop:accepted:ended:_:)` or
/// `RUDPServer.connections` elsewhere (they end when the server shuts down), or let
/// `RUDPServer.service(serving:)` do both.
///
/// ```swift
/// let server = try await RUDPServer.bind(port: 9000)
/// let group = ServiceGroup(services: [server.service { connection in
///     for try await message in connection.messages { try await connection.send(message.buffer) }
/// }], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
/// try await group.run()
/// ```
extension RUDPServer: Service {
    /// Waits until graceful shutdown is triggered (or the task is cancelled), then shuts the
    /// server down: every connection gets CLOSE(serverShutdown), the sockets close, and
    /// handlers waiting in `RUDPServer.serve(handlersOnEventLoop:_:)` or
    /// `RUDPServer.serveMessages(handlersOnEventLoop:accepted:ended:_:)` see their connections end, so those
    /// return. Returns once the sockets are closed; never throws. A server shut down some other
    /// way (`RUDPServer.shutdown()`) keeps this waiting: use `service(serving:)` or
    /// `messageService(accepted:ended:_:)` to end with it.
    public func run() async throws {
        // Returns on graceful shutdown, throws CancellationError on cancellation: either way,
        // shut down.
        try? await gracefulShutdown()
        await shutdown()
    }

    /// A service that serves every connection with `handler` (as `RUDPServer.serve(handlersOnEventLoop:_:)`)
    /// until graceful shutdown or cancellation, then shuts the server down and waits for the
    /// handlers to finish. It also returns if the server is shut down some other way.
    public func service(
        handlersOnEventLoop: Bool = false, serving handler: @escaping @Sendable (RUDPConnection) async throws -> Void
    ) -> some Service {
        ClosureService { [self] in
            try await runServing { try await self.serve(handlersOnEventLoop: handlersOnEventLoop, handler) }
        }
    }

    /// A service that handles every message with `handler` (as
    /// `RUDPServer.serveMessages(handlersOnEventLoop:accepted:ended:_:)`) until graceful shutdown or
    /// cancellation, then shuts the server down and waits for the connections to end. It also
    /// returns if the server is shut down some other way.
    public func messageService(
        handlersOnEventLoop: Bool = false,
        accepted: (@Sendable (RUDPConnection) -> Void)? = nil,
        ended: (@Sendable (RUDPConnection) async -> Void)? = nil,
        _ handler: @escaping @Sendable (RUDPConnection, ReceivedMessage) async throws -> Void
    ) -> some Service {
        ClosureService { [self] in
            try await runServing {
                await self.serveMessages(handlersOnEventLoop: handlersOnEventLoop, accepted: accepted, ended: ended, handler)
            }
        }
    }

    /// Runs `serving` (which returns once the server shut down) beside `run()`; if the server
    /// was shut down some other way (`RUDPServer.shutdown()`), stops waiting for the graceful
    /// shutdown too, so the service returns.
    private func runServing(_ serving: @escaping @Sendable () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await serving()
                return true
            }
            group.addTask {
                try await self.run()
                return false
            }
            if try await group.next() == true { group.cancelAll() }
            try await group.waitForAll()
        }
    }
}
