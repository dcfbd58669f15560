import Logging
import NIOCore
import NIOPosix
import RUDPCore

/// Accepts RUDP connections on one UDP socket.
///
/// ```swift
/// let server = try await RUDPServer.bind(port: 9000)
/// try await server.serve { connection in
///     for try await message in connection.messages {
///         try await connection.send(message.bytes)   // echo
///     }
/// }
/// // elsewhere: await server.shutdown()
/// ```
public final class RUDPServer: Sendable {
    let driver: EndpointDriver
    let channel: any Channel
    /// The address the socket is bound to.
    public let localAddress: SocketAddress

    private init(driver: EndpointDriver, channel: any Channel, requestedAddress: SocketAddress) {
        self.driver = driver
        self.channel = channel
        self.localAddress = channel.localAddress ?? requestedAddress
    }

    /// Binds the socket. Port 0 picks a free port (see ``port``).
    ///
    /// Throws ``RUDPError`` with code `addressInUse` (with a clear message) when another socket
    /// holds the address, `hostNotResolved`, or `invalidArgument` for a bad configuration.
    public static func bind(host: String = "127.0.0.1", port: Int, configuration: RUDPConfiguration = RUDPConfiguration()) async throws -> RUDPServer {
        let configuration = try configuration.validated()
        let address = try await SocketBinding.resolve(host: host, port: port)
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let driver = EndpointDriver(eventLoop: loop, configuration: configuration, role: .server,
                                    security: try TransportSecurity.make(configuration))
        let channel = try await SocketBinding.bind(address, driver: driver, vectorReadCount: SocketBinding.serverVectorReadCount)
        let server = RUDPServer(driver: driver, channel: channel, requestedAddress: address)
        configuration.logger.debug("server listening", metadata: ["address": "\(SocketBinding.describe(server.localAddress))"])
        return server
    }

    /// The UDP port the socket is bound to.
    public var port: Int { localAddress.port ?? 0 }

    /// Accepted connections (handshake complete), as a plain `AsyncSequence`; finishes on
    /// shutdown. Use either this or ``serve(_:)``, not both.
    public var connections: RUDPConnectionStream { RUDPConnectionStream(queue: driver.acceptQueue) }

    /// Accepts peers and runs `handler` for each one concurrently in a task group; returns after
    /// ``shutdown()`` once all handlers finished.
    ///
    /// When a handler returns, its connection is closed gracefully (pending replies are
    /// delivered first); when it throws, the connection is aborted. Use either this or
    /// ``connections``, not both.
    public func serve(_ handler: @escaping @Sendable (RUDPConnection) async throws -> Void) async throws {
        let logger = driver.logger
        await withDiscardingTaskGroup { group in
            for await connection in connections {
                group.addTask { await Self.run(handler, on: connection, logger: logger) }
            }
        }
    }

    /// Handles every message of every connection with `handler`: the messages of one
    /// connection in order, one at a time; different connections concurrently.
    ///
    /// Unlike ``serve(_:)``, no task waits for each connection: a connection with nothing to
    /// handle costs only its state (about 1.4 KB less than with a task each), which matters for
    /// servers with many mostly idle clients. A task runs for a connection only while it has
    /// messages. `accepted` is called when a connection is accepted, `ended` once after it
    /// closed (by its peer, a timeout or the server's shutdown) and its last messages were
    /// handled. A handler that throws aborts its connection (its remaining messages are
    /// dropped). Connections stay open until their peer closes them or they time out; do not
    /// iterate a connection's ``RUDPConnection/messages`` as well. Returns after ``shutdown()``,
    /// once every connection has ended.
    ///
    /// ```swift
    /// await server.serveMessages { connection, message in
    ///     try await connection.send(message.bytes, channel: message.channel, mode: message.mode)
    /// }
    /// ```
    public func serveMessages(accepted: (@Sendable (RUDPConnection) -> Void)? = nil,
                              ended: (@Sendable (RUDPConnection) async -> Void)? = nil,
                              _ handler: @escaping @Sendable (RUDPConnection, ReceivedMessage) async throws -> Void) async {
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
                group.addTask { await Self.dispatch(connection, handler, ended: ended, dispatcher: dispatcher, logger: logger) }
            }
        }
    }

    /// Runs `handler` for a connection's pending messages, until it has none.
    private static func dispatch(_ connection: RUDPConnection, _ handler: @Sendable (RUDPConnection, ReceivedMessage) async throws -> Void,
                                 ended: (@Sendable (RUDPConnection) async -> Void)?, dispatcher: MessageDispatcher, logger: Logger) async {
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
    private static func run(_ handler: @Sendable (RUDPConnection) async throws -> Void, on connection: RUDPConnection, logger: Logger) async {
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
    /// socket closes. Returns once it is closed.
    public func shutdown() async {
        let driver = self.driver
        driver.eventLoop.execute { driver.shutdown() }
        try? await channel.closeFuture.get()
    }

    /// Endpoint-wide counters: datagrams and bytes, malformed and unroutable datagrams,
    /// connections accepted and refused.
    public func statistics() async -> EndpointStatistics {
        let driver = self.driver
        return (try? await driver.eventLoop.submit { driver.endpointStatistics }.get()) ?? EndpointStatistics()
    }

    /// Datagrams dropped by ``RUDPConfiguration/receiveLoss``.
    public func injectedLosses() async -> Int {
        let driver = self.driver
        return (try? await driver.eventLoop.submit { driver.injectedLosses }.get()) ?? 0
    }
}
