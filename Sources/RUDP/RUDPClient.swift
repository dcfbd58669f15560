import NIOCore
import NIOPosix
import RUDPCore

/// Opens RUDP connections to servers. Each connection has its own UDP socket, closed with it.
///
/// ```swift
/// let connection = try await RUDPClient.connect(host: "localhost", port: 9000)
/// try await connection.sendAndWaitForAcknowledgement(ByteBuffer(string: "ping"))
/// try await connection.close()
/// ```
public enum RUDPClient {
    /// Connects to `host:port` and returns once the handshake completed.
    ///
    /// The client may start before the server: CONNECT is retried until the server answers or
    /// `configuration.connection.connectTimeout` passes (then ``RUDPError/Code/connectTimedOut``).
    /// Host names are resolved (``RUDPError/Code/hostNotResolved``).
    ///
    /// The connection's UDP socket is bound to `localHost` (an IP address of this machine, or a
    /// name resolving to one, of the server's address family) on a free port; nil (the default)
    /// binds the wildcard address and lets the system choose the source address. Binding, say,
    /// 127.0.0.2 lets a test on one machine appear as another host to a server's per-address
    /// limits.
    ///
    /// With ``RUDPConfiguration/security`` the connection is authenticated (and encrypted, in
    /// that mode) with the pre-shared key. A server with another key never answers (the error
    /// is ``RUDPError/Code/connectTimedOut`` and says to check key and mode); a server without
    /// security, or in the other mode, gives ``RUDPError/Code/securityMismatch`` (for a secure
    /// client only when the connect times out, since that answer is not authenticated).
    public static func connect(
        host: String, port: Int, localHost: String? = nil,
        configuration: RUDPConfiguration = RUDPConfiguration()
    ) async throws -> RUDPConnection {
        let configuration = try configuration.validated()
        let remote = try await SocketBinding.resolve(host: host, port: port)
        if remote.port == 0 {
            throw RUDPError(.invalidArgument, "cannot connect to port 0")
        }
        guard let peer = PeerAddress(remote) else {
            throw RUDPError(.invalidArgument, "unsupported address \(remote)")
        }
        let local: SocketAddress
        if let localHost {
            local = try await SocketBinding.resolve(host: localHost, port: 0)
            guard local.protocol == remote.protocol else {
                throw RUDPError(.invalidArgument, "local address \(localHost) is not of the server's address family")
            }
        } else {
            do {
                if case .v6 = remote {
                    local = try SocketAddress(ipAddress: "::", port: 0)
                } else {
                    local = try SocketAddress(ipAddress: "0.0.0.0", port: 0)
                }
            } catch {
                throw RUDPError(.invalidArgument, "unsupported address \(remote)")
            }
        }
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let driver = EndpointDriver(
            eventLoop: loop, configuration: configuration, role: .client,
            security: try TransportSecurity.make(configuration))
        let channel = try await SocketBinding.bind(local, driver: driver, vectorReadCount: SocketBinding.clientVectorReadCount)
        // With failsWhenPortUnreachable the socket is connected, so the kernel delivers ICMP
        // errors about the server (port unreachable) and drops datagrams from other addresses.
        // Not by default: on a connected socket such an error can surface as a write error,
        // which closes NIO's datagram channel, and a client that waits for its server (or
        // whose server restarts) must keep its socket.
        if configuration.failsWhenPortUnreachable {
            do {
                try await channel.connect(to: remote).get()
            } catch {
                try? await channel.close()
                throw RUDPError(.invalidArgument, "cannot connect a UDP socket to \(SocketBinding.describe(remote)): \(error)")
            }
        }
        let started = ContinuousClock.now
        let connection: RUDPConnection
        do {
            connection = try await loop.submit { driver.connect(to: remote, peer: peer) }.get()
        } catch {
            try? await channel.close()
            throw RUDPError(.connectionClosed, "the client socket closed before connecting: \(error)")
        }
        do {
            try await connection.waitUntilConnected()
        } catch {
            await connection.abort()
            try? await channel.close()
            if let error = error as? RUDPError, error.code == .connectTimedOut {
                if let security = configuration.security {
                    throw RUDPError(
                        .connectTimedOut,
                        """
                        connect to \(host):\(port) timed out: the server did not answer a valid \(security.mode) handshake within \
                        \(configuration.connection.connectTimeout); check that both sides use the same pre-shared key and security mode
                        """)
                }
                throw RUDPError(
                    .connectTimedOut,
                    "connect to \(host):\(port) timed out: the server did not answer within \(configuration.connection.connectTimeout)")
            }
            throw error
        }
        let handshake = ContinuousClock.now - started
        driver.metrics.handshakeCompleted(
            nanoseconds: UInt64(
                clamping: handshake.components.seconds * 1_000_000_000
                    + handshake.components.attoseconds / 1_000_000_000))
        return connection
    }
}
