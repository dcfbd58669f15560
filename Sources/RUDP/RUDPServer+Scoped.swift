extension RUDPServer {
    /// Binds a server, runs `body` with it, and shuts it down when `body` ends (returns or
    /// throws), so a forgotten server cannot keep its sockets.
    ///
    /// Cancelling the task shuts the server down at once, so a `body` waiting in
    /// ``serve(handlersOnEventLoop:_:)`` or ``serveMessages(handlersOnEventLoop:accepted:ended:_:)`` (both return after a shutdown)
    /// ends. On the way out every connection gets CLOSE(serverShutdown) and the sockets close
    /// before this function returns (see ``shutdown()``). Parameters and errors of the bind are
    /// those of ``bind(host:port:configuration:workers:)``.
    ///
    /// ```swift
    /// try await RUDPServer.withServer(port: 9000) { server in
    ///     print("listening on port", server.port)
    ///     try await server.serve { connection in
    ///         for try await message in connection.messages {
    ///             try await connection.send(message.buffer)
    ///         }
    ///     }
    /// }
    /// ```
    public nonisolated(nonsending) static func withServer<Result>(
        host: String = "127.0.0.1", port: Int,
        configuration: RUDPConfiguration = RUDPConfiguration(), workers: Int = 1,
        _ body: (RUDPServer) async throws -> Result
    ) async throws -> Result {
        let server = try await bind(host: host, port: port, configuration: configuration, workers: workers)
        let result: Result
        do {
            result = try await withTaskCancellationHandler {
                try await body(server)
            } onCancel: {
                Task { await server.shutdown() }
            }
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
        return result
    }
}
