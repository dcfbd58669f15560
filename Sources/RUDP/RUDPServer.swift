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
                group.addTask {
                    do {
                        try await handler(connection)
                        try await connection.close()
                    } catch {
                        logger.debug("connection handler ended", metadata: ["connection": "\(connection.id)", "error": "\(error)"])
                        await connection.abort()
                    }
                }
            }
        }
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
