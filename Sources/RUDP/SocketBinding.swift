import NIOCore
import NIOPosix
import RUDPCore

/// Resolving addresses and binding the UDP socket that carries an endpoint.
enum SocketBinding {
    /// Datagrams read per system call (recvmmsg) by a server and by a client.
    static let serverVectorReadCount = 64
    static let clientVectorReadCount = 16
    /// Socket buffer sizes requested (the kernel may cap them).
    static let socketBufferBytes = 4 << 20

    /// Resolves `host` off the cooperative thread pool (getaddrinfo blocks).
    static func resolve(host: String, port: Int) async throws(RUDPError) -> SocketAddress {
        guard (0...65_535).contains(port) else {
            throw RUDPError(.invalidArgument, "port \(port) is out of range (0...65535)")
        }
        do {
            return try await NIOThreadPool.singleton.runIfActive {
                try SocketAddress.makeAddressResolvingHost(host, port: port)
            }
        } catch {
            throw RUDPError(.hostNotResolved, "could not resolve host '\(host)'")
        }
    }

    /// Binds a UDP socket at `address` whose pipeline feeds `driver`.
    static func bind(_ address: SocketAddress, driver: EndpointDriver, vectorReadCount: Int) async throws(RUDPError) -> any Channel {
        let bootstrap = self.bootstrap(
            for: driver, vectorReadCount: vectorReadCount,
            receiveOffload: driver.configuration.usesReceiveOffload)
        do {
            return try await bootstrap.bind(to: address).get()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw RUDPError(.addressInUse, "address \(describe(address)) is already in use")
        } catch let error as IOError where error.errnoCode == EADDRNOTAVAIL {
            throw RUDPError(.invalidArgument, "address \(describe(address)) is not available on this machine")
        } catch {
            throw RUDPError(.invalidArgument, "could not bind a UDP socket to \(describe(address)): \(error)")
        }
    }

    /// Runs `driver` on an already bound, nonblocking UDP socket (a worker's socket of a
    /// ``RUDPWorkerSockets`` group); the channel takes ownership of `descriptor`.
    ///
    /// Without GRO: the kernel picks a worker's socket once per coalesced read, by its first
    /// datagram's connection ID, so datagrams of other connections coalesced behind it (one
    /// client socket, several connections) would reach a worker that does not own them.
    static func adopt(_ descriptor: CInt, driver: EndpointDriver, vectorReadCount: Int) async throws(RUDPError) -> any Channel {
        do {
            return try await bootstrap(for: driver, vectorReadCount: vectorReadCount, receiveOffload: false)
                .withBoundSocket(descriptor).get()
        } catch {
            throw RUDPError(.invalidArgument, "could not use the bound UDP socket \(descriptor): \(error)")
        }
    }

    /// The channel setup of every endpoint's socket: the shared configuration and the
    /// endpoint's handler.
    private static func bootstrap(
        for driver: EndpointDriver, vectorReadCount: Int,
        receiveOffload: Bool
    ) -> DatagramBootstrap {
        configuredBootstrap(
            on: driver.eventLoop, connection: driver.configuration.connection, vectorReadCount: vectorReadCount,
            receiveOffload: receiveOffload
        )
        .channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(DatagramChannelHandler(driver: driver))
            }
        }
    }

    /// The datagram bootstrap every RUDP socket uses, without its channel initializer: vector
    /// reads of `vectorReadCount` datagrams, UDP GRO when `receiveOffload` (by default where the
    /// kernel offers it, see ``ReceiveOffload``), a receive allocator sized for that many of the
    /// largest reads (a datagram, or 64 KiB of coalesced ones with GRO: NIO splits the buffer
    /// evenly between the reads and the kernel truncates silently what does not fit), and large
    /// socket buffers. The raw-UDP baseline of `rudp bench --baseline` (``RawDatagramPath``)
    /// binds its sockets with it too, so that both measure the same socket setup.
    ///
    /// With GRO a read may carry several datagrams; its `metadata?.segmentSize` gives their size
    /// and ``ReceiveOffload/forEachSegment(of:segmentSize:_:)`` splits it.
    static func configuredBootstrap(
        on eventLoop: any EventLoop, connection: ConnectionConfiguration, vectorReadCount: Int,
        receiveOffload: Bool = true
    ) -> DatagramBootstrap {
        // A protected CONNECT is 1,200 bytes whatever the configured datagram size.
        let datagramSize = max(connection.maxDatagramSize, Packet.protectedConnectDatagramSize)
        let offload = receiveOffload && System.supportsUDPReceiveOffload
        let readBytes = offload ? max(datagramSize, ReceiveOffload.slotBytes) : datagramSize
        var bootstrap = DatagramBootstrap(group: eventLoop)
            .channelOption(.datagramVectorReadMessageCount, value: vectorReadCount)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: vectorReadCount * readBytes))
            .channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(socketBufferBytes))
            .channelOption(.socketOption(.so_sndbuf), value: SocketOptionValue(socketBufferBytes))
        if offload {
            bootstrap =
                bootstrap
                .channelOption(.datagramReceiveOffload, value: true)
                .channelOption(.datagramReceiveSegmentSize, value: true)
        }
        return bootstrap
    }

    /// "127.0.0.1:9000" or "[::1]:9000".
    static func describe(_ address: SocketAddress) -> String {
        let ip = address.ipAddress ?? "\(address)"
        let port = address.port.map(String.init) ?? "?"
        if case .v6 = address { return "[\(ip)]:\(port)" }
        return "\(ip):\(port)"
    }

}
