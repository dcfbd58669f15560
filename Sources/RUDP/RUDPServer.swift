import Logging
import NIOCore
import NIOPosix
import RUDPCore

/// Accepts RUDP connections on a UDP port, with one worker (the default) or several.
///
/// In the spirit of Python's `socketserver`: the server owns the sockets and accepts peers,
/// a handler serves each peer (``serve(handlersOnEventLoop:_:)``, ``serveMessages(handlersOnEventLoop:accepted:ended:_:)``).
///
/// ```swift
/// let server = try await RUDPServer.bind(port: 9000)
/// try await server.serve { connection in
///     for try await message in connection.messages {
///         try await connection.send(message.buffer)   // echo
///     }
/// }
/// // elsewhere: await server.shutdown()
/// ```
///
/// **Workers.** `bind(port:workers:)` with N > 1 (Linux, up to 16) runs N endpoints, each on
/// its own event loop (its own thread) and its own `SO_REUSEPORT` socket of the same port
/// (``RUDPWorkerSockets``). A classic BPF program attached to the sockets makes the kernel hand
/// each datagram to the worker whose index its destination connection ID carries (every ID a
/// worker issues has its index in the top 4 bits, `Specs/PROTOCOL.md` 7.1), so a connection
/// stays on its worker even when the client's address changes; CONNECTs are spread over the
/// workers by the kernel's hash of the client's address and port. The handlers of all workers'
/// connections run in the same task group, as with one worker. A worker whose socket fails is
/// replaced on the same socket; the other workers' connections are not disturbed.
///
/// **Limits are per worker.** Each worker is a whole endpoint with its own connection table and
/// memory budget: ``RUDPConfiguration/maxConnections``, ``RUDPConfiguration/maxHalfOpenConnections``,
/// the per-address and per-prefix limits, the retry policy's half-open threshold, the
/// receive-memory budget and the memory of ended handshakes all apply to each worker separately,
/// so a server with N workers holds up to N times as many connections. Connection limits
/// (message size, windows, timers) are per connection as always. ``statistics()`` adds up the
/// workers' counters; ``workerStatistics()`` gives them one by one.
public final class RUDPServer: Sendable {
    let pool: ServerWorkerPool
    /// The address the socket is bound to.
    public let localAddress: SocketAddress

    private init(pool: ServerWorkerPool, requestedAddress: SocketAddress) {
        self.pool = pool
        self.localAddress = pool.sockets?.localAddress ?? pool.workers[0].channel.localAddress ?? requestedAddress
    }

    /// Worker 0's driver (the only one of a single-worker server).
    var driver: EndpointDriver { pool.workers[0].driver }

    /// Binds the socket, or with `workers` > 1 one socket per worker. Port 0 picks a free port
    /// (see ``port``).
    ///
    /// `workers`: 1 (the default) serves every connection on one event loop and socket; 2 to 16
    /// spread the connections over that many event loops (threads), each with its own socket
    /// (Linux only, see the type's documentation). Limits in `configuration` apply to each
    /// worker.
    ///
    /// Throws ``RUDPError`` with code `addressInUse` (with a clear message) when another socket
    /// holds the address, `hostNotResolved`, or `invalidArgument` for a bad configuration or
    /// worker count.
    public static func bind(
        host: String = "127.0.0.1", port: Int, configuration: RUDPConfiguration = RUDPConfiguration(),
        workers: Int = 1
    ) async throws -> RUDPServer {
        let configuration = try configuration.validated()
        guard (1...RUDPWorkerSockets.maximumCount).contains(workers) else {
            throw RUDPError(.invalidArgument, "a server has 1 to \(RUDPWorkerSockets.maximumCount) workers, got \(workers)")
        }
        let address = try await SocketBinding.resolve(host: host, port: port)
        let pool: ServerWorkerPool
        if workers == 1 {
            pool = try await ServerWorkerPool.single(at: address, configuration: configuration)
        } else {
            pool = try await ServerWorkerPool.multiple(on: RUDPWorkerSockets.bind(address, count: workers), configuration: configuration)
        }
        let server = RUDPServer(pool: pool, requestedAddress: address)
        configuration.logger.debug(
            "server listening", metadata: ["address": "\(SocketBinding.describe(server.localAddress))", "workers": "\(workers)"])
        return server
    }

    /// Serves one worker's socket of a ``RUDPWorkerSockets`` group that another process bound
    /// (the worker processes of a multi-process server): `descriptor` is the inherited socket,
    /// `workerIndex` its index in the group (0...15), which the connection IDs this server
    /// issues carry so that the group's steering program brings their datagrams here.
    ///
    /// The server works on a duplicate of `descriptor` and never closes `descriptor` itself.
    /// It has no restart of its own: if its socket fails, ``connections`` finishes and the
    /// process that owns the group is expected to start a replacement on the same socket.
    /// Limits in `configuration` apply to this worker alone.
    public static func bind(workerSocket descriptor: CInt, workerIndex: Int, configuration: RUDPConfiguration = RUDPConfiguration())
        async throws -> RUDPServer
    {
        let configuration = try configuration.validated()
        guard (0..<RUDPWorkerSockets.maximumCount).contains(workerIndex) else {
            throw RUDPError(.invalidArgument, "a worker index is 0 to \(RUDPWorkerSockets.maximumCount - 1), got \(workerIndex)")
        }
        let pool = try await ServerWorkerPool.adopted(descriptor, index: workerIndex, configuration: configuration)
        let address = try pool.workers[0].channel.localAddress ?? SocketAddress(ipAddress: "0.0.0.0", port: 0)
        let server = RUDPServer(pool: pool, requestedAddress: address)
        configuration.logger.debug(
            "server worker listening", metadata: ["address": "\(SocketBinding.describe(server.localAddress))", "worker": "\(workerIndex)"])
        return server
    }

    /// How many workers (event loops and sockets) the server runs.
    public var workerCount: Int { pool.sockets?.count ?? 1 }

    /// The UDP port the socket is bound to.
    public var port: Int { localAddress.port ?? 0 }

    /// Accepted connections (handshake complete), as a plain `AsyncSequence`; finishes on
    /// shutdown. Use either this or ``serve(handlersOnEventLoop:_:)``, not both.
    public var connections: RUDPConnectionStream { RUDPConnectionStream(queue: pool.acceptQueue) }

    /// Accepts peers and runs `handler` for each one concurrently in a task group; returns after
    /// ``shutdown()`` once all handlers finished.
    ///
    /// When a handler returns, its connection is closed gracefully (pending replies are
    /// delivered first); when it throws, the connection is aborted. Use either this or
    /// ``connections``, not both.
    ///
    /// With `handlersOnEventLoop`, each handler runs on the event loop of its connection's
    /// engine (``RUDPConnection/taskExecutor``): its messages and replies cross no thread; a
    /// handler that blocks or computes for long then stalls every connection of its loop. By
    /// default handlers run on Swift's global executor, beside the loop, which on two cores
    /// measured as fast or faster (the loop and the handlers use both cores): measure before
    /// choosing (`rudp bench --receiver-on-event-loop`).
    ///
    /// ```swift
    /// try await server.serve(handlersOnEventLoop: true) { connection in
    ///     for try await message in connection.messages { try await connection.send(message.buffer) }
    /// }
    /// ```
    public func serve(
        handlersOnEventLoop: Bool = false, _ handler: @escaping @Sendable (RUDPConnection) async throws -> Void
    ) async throws {
        let logger = driver.logger
        await withDiscardingTaskGroup { group in
            for await connection in connections {
                group.addTask(executorPreference: handlersOnEventLoop ? connection.taskExecutor : nil) {
                    await Self.run(handler, on: connection, logger: logger)
                }
            }
        }
    }

    /// Handles every message of every connection with `handler`: the messages of one
    /// connection in order, one at a time; different connections concurrently.
    ///
    /// Unlike ``serve(handlersOnEventLoop:_:)``, no task waits for each connection: a connection with nothing to
    /// handle costs only its state (about 1.4 KB less than with a task each), which matters for
    /// servers with many mostly idle clients. A task runs for a connection only while it has
    /// messages. `accepted` is called when a connection is accepted, `ended` once after it
    /// closed (by its peer, a timeout or the server's shutdown) and its last messages were
    /// handled. A handler that throws aborts its connection (its remaining messages are
    /// dropped). Connections stay open until their peer closes them or they time out; do not
    /// iterate a connection's ``RUDPConnection/messages`` as well. Returns after ``shutdown()``,
    /// once every connection has ended. `handlersOnEventLoop`: as in ``serve(handlersOnEventLoop:_:)``.
    ///
    /// ```swift
    /// await server.serveMessages { connection, message in
    ///     try await connection.send(message.buffer, channel: message.channel, mode: message.mode)
    /// }
    /// ```
    public func serveMessages(
        handlersOnEventLoop: Bool = false,
        accepted: (@Sendable (RUDPConnection) -> Void)? = nil,
        ended: (@Sendable (RUDPConnection) async -> Void)? = nil,
        _ handler: @escaping @Sendable (RUDPConnection, ReceivedMessage) async throws -> Void
    ) async {
        let logger = driver.logger
        let dispatcher = MessageDispatcher()
        let connections = self.connections
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await connection in connections {
                    accepted?(connection)
                    dispatcher.adopt(connection)
                }
                dispatcher.acceptingEnded()
            }
            for await connection in dispatcher.ready {
                group.addTask(executorPreference: handlersOnEventLoop ? connection.taskExecutor : nil) {
                    await Self.dispatch(connection, handler, ended: ended, dispatcher: dispatcher, logger: logger)
                }
            }
        }
    }

    /// Runs `handler` for a connection's pending messages, until it has none.
    private static func dispatch(
        _ connection: RUDPConnection, _ handler: @Sendable (RUDPConnection, ReceivedMessage) async throws -> Void,
        ended: (@Sendable (RUDPConnection) async -> Void)?, dispatcher: MessageDispatcher, logger: Logger
    ) async {
        while true {
            let (next, release) = connection.mailbox.takeForDispatch()
            if release { connection.driver.scheduleRelease(connection.id) }
            switch next {
            case .message(let message):
                do {
                    try await handler(connection, message)
                } catch {
                    logHandlerEnd(connection, error, logger)
                    connection.mailbox.discardInbound()
                    await connection.abort()
                }
            case .idle:
                return
            case .ended:
                await ended?(connection)
                dispatcher.connectionEnded()
                return
            }
        }
    }

    /// One connection's task. Kept small (the logging lives in a synchronous function): every
    /// connection's task keeps this frame while its handler waits for messages.
    private static func run(_ handler: @Sendable (RUDPConnection) async throws -> Void, on connection: RUDPConnection, logger: Logger) async
    {
        do {
            try await handler(connection)
            try await connection.close()
        } catch {
            logHandlerEnd(connection, error, logger)
            await connection.abort()
        }
    }

    private static func logHandlerEnd(_ connection: RUDPConnection, _ error: any Error, _ logger: Logger) {
        logger.debug("connection handler ended", metadata: ["connection": "\(connection.id)", "error": "\(error)"])
    }

    /// Clean shutdown: every connection gets CLOSE(serverShutdown) (clients see
    /// ``RUDPError/Code/serverShutdown``), local connections end with the same error, then the
    /// sockets close. Returns once they are closed.
    public func shutdown() async {
        await pool.shutdown()
    }

    /// Endpoint-wide counters (of all workers added up): datagrams and bytes, malformed and
    /// unroutable datagrams, connections accepted and refused.
    public func statistics() async -> EndpointStatistics {
        EndpointStatistics.sum(await workerStatistics())
    }

    /// The endpoint counters of each worker, by worker index (one element for a single-worker
    /// server). A worker replaced after a failure starts again from zero.
    public func workerStatistics() async -> [EndpointStatistics] {
        var result: [EndpointStatistics] = []
        for worker in pool.workers {
            let driver = worker.driver
            result.append((try? await driver.eventLoop.submit { driver.endpointStatistics }.get()) ?? EndpointStatistics())
        }
        return result
    }

    /// Datagrams dropped by ``RUDPConfiguration/receiveLoss`` (all workers).
    @_spi(Testing) public func injectedLosses() async -> Int {
        var total = 0
        for worker in pool.workers {
            let driver = worker.driver
            total += (try? await driver.eventLoop.submit { driver.injectedLosses }.get()) ?? 0
        }
        return total
    }
}
