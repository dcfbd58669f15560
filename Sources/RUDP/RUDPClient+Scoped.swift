extension RUDPClient {
    /// Connects to `host:port`, runs `body` with the connection, and closes it when `body`
    /// ends, so a forgotten connection cannot keep its socket.
    ///
    /// When `body` returns, the connection is closed gracefully (pending messages are delivered
    /// first, as with ``RUDPConnection/close()``); when it throws, or the task is cancelled, the
    /// connection is aborted and the error is rethrown. Either way the connection's UDP socket
    /// is closed before this function returns. Parameters and errors of the connect are those
    /// of ``connect(host:port:localHost:configuration:)``.
    ///
    /// ```swift
    /// let reply = try await RUDPClient.withConnection(host: "localhost", port: 9000) { connection in
    ///     try await connection.send(Array("ping".utf8))
    ///     return try await connection.messages.first { _ in true }
    /// }
    /// ```
    public nonisolated(nonsending) static func withConnection<Result>(
        host: String, port: Int, localHost: String? = nil,
        configuration: RUDPConfiguration = RUDPConfiguration(),
        _ body: (RUDPConnection) async throws -> Result
    ) async throws -> Result {
        let connection = try await connect(host: host, port: port, localHost: localHost, configuration: configuration)
        let result: Result
        do {
            result = try await withTaskCancellationHandler {
                try await body(connection)
            } onCancel: {
                Task { await connection.abort() }
            }
        } catch {
            await connection.abort()
            throw error
        }
        if Task.isCancelled {
            await connection.abort()
            throw CancellationError()
        }
        try await connection.close()
        return result
    }
}
