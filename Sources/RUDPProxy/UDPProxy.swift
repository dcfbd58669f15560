import NIOCore
import NIOPosix
import Synchronization

/// A UDP proxy that relays datagrams between any number of clients and one upstream, both
/// ways, and impairs them on the way: loss (uniform and bursty), duplication, reordering,
/// delay and jitter, corruption, a bandwidth limit with a bounded queue, a size limit, and
/// partitions on demand.
///
/// Each client address gets its own upstream socket (a *flow*, as a NAT would make), so the
/// upstream sees one source port per client; idle flows expire and their number is capped.
/// Each direction's decisions come from an `ImpairmentModel` seeded from
/// ``ProxyConfiguration/seed`` — the same model the simulator uses — and the delay line of each
/// direction is driven by one timer on the proxy's event loop. Everything runs on that one
/// loop: no lock or task per datagram.
///
/// ```swift
/// let proxy = try await UDPProxy.start(
///     listen: try SocketAddress(ipAddress: "127.0.0.1", port: 0),
///     upstream: try SocketAddress(ipAddress: "127.0.0.1", port: 9000),
///     configuration: ProxyConfiguration(impairments: .init(both: Impairments(loss: 0.1)), seed: 42))
/// print("clients send to", proxy.localAddress)
/// try await proxy.update(up: Impairments(delay: .milliseconds(50)), down: .none)
/// await proxy.partition(for: .seconds(3))       // drop everything for 3 s
/// print(await proxy.statistics())
/// await proxy.shutdown()
/// ```
public final class UDPProxy: Sendable {
    /// The address clients send to (with the real port if port 0 was asked for).
    public let localAddress: SocketAddress
    /// Where datagrams from clients go.
    public let upstreamAddress: SocketAddress

    let eventLoop: any EventLoop
    let core: NIOLoopBound<ProxyCore>
    /// Counters at shutdown, served once the loop no longer holds the proxy.
    private let finalStatistics = Mutex<ProxyStatistics?>(nil)

    private init(
        localAddress: SocketAddress, upstreamAddress: SocketAddress, eventLoop: any EventLoop,
        core: NIOLoopBound<ProxyCore>
    ) {
        self.localAddress = localAddress
        self.upstreamAddress = upstreamAddress
        self.eventLoop = eventLoop
        self.core = core
    }

    /// Opens the listening socket on `listen` and starts relaying to `upstream`.
    ///
    /// - Parameters:
    ///   - listen: where clients send; port 0 picks a free port (see ``localAddress``).
    ///   - upstream: the server datagrams are relayed to.
    ///   - configuration: impairments, seed and limits.
    ///   - group: the proxy runs on one loop of this group.
    /// - Throws: ``ProxyError`` if the configuration is invalid or the socket cannot be bound.
    public static func start(
        listen: SocketAddress,
        upstream: SocketAddress,
        configuration: ProxyConfiguration = ProxyConfiguration(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(ProxyError) -> UDPProxy {
        try configuration.validate()
        let loop = group.next()
        do {
            let core = try await loop.submit {
                NIOLoopBound(
                    ProxyCore(eventLoop: loop, upstreamAddress: upstream, configuration: configuration),
                    eventLoop: loop)
            }.get()
            let bufferSize = SocketOptionValue(clamping: configuration.socketBufferSize)
            let vectorReads = 16
            let channel: any Channel
            do {
                channel = try await DatagramBootstrap(group: loop)
                    .channelOption(.socketOption(.so_rcvbuf), value: bufferSize)
                    .channelOption(.socketOption(.so_sndbuf), value: bufferSize)
                    .channelOption(.datagramVectorReadMessageCount, value: vectorReads)
                    .channelOption(
                        .recvAllocator,
                        value: FixedSizeRecvByteBufferAllocator(capacity: vectorReads * 65_536)
                    )
                    .channelOption(.maxMessagesPerRead, value: 4)
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(ListenHandler(core: core.value))
                        }
                    }
                    .bind(to: listen)
                    .get()
            } catch {
                throw ProxyError.socket("cannot listen on \(listen): \(error)")
            }
            try await loop.submit { core.value.listenChannel = channel }.get()
            guard let localAddress = channel.localAddress else {
                channel.close(promise: nil)
                throw ProxyError.socket("the listening socket has no local address")
            }
            return UDPProxy(localAddress: localAddress, upstreamAddress: upstream, eventLoop: loop, core: core)
        } catch let error as ProxyError {
            throw error
        } catch {
            throw .socket("cannot start the proxy: \(error)")
        }
    }

    /// Replaces the impairments of both directions, effective for the next datagram. Datagrams
    /// already delayed keep their arrival times; the random streams and the burst state carry on.
    ///
    /// - Throws: ``ProxyError/invalidImpairment(_:)-(String)`` (nothing changes), or
    ///   ``ProxyError/shutDown``.
    public func update(up: Impairments, down: Impairments) async throws(ProxyError) {
        try await update(ProxyImpairments(up: up, down: down))
    }

    /// Replaces the impairments of both directions (see ``update(up:down:)``).
    public func update(_ impairments: ProxyImpairments) async throws(ProxyError) {
        try impairments.validate()
        try await onLoop { $0.update(impairments) }
    }

    /// The impairments in force.
    public func impairments() async throws(ProxyError) -> ProxyImpairments {
        try await onLoop { $0.impairments }
    }

    /// Drops every datagram received in `directions` from now for `duration` (e.g. to make
    /// both ends of a connection time out), then heals by itself. A longer partition already
    /// in force is kept.
    public func partition(for duration: Duration, directions: ProxyDirections = .both) async {
        try? await onLoop { $0.partition(for: duration, directions: directions) }
    }

    /// Ends any partition started by ``partition(for:directions:)`` now.
    public func heal() async {
        try? await onLoop { $0.heal() }
    }

    /// Gives the flow of `client` (the client's address as the proxy sees it; nil: every flow)
    /// a new upstream socket, on a new local port, as a NAT whose mapping changed: the upstream
    /// sees the client move to a new source address, and its replies to the old one are lost.
    /// Datagrams from the client wait (bounded) while the new socket opens. Returns how many
    /// flows are being rebound; ``ProxyStatistics/Flows/rebound`` counts them once open.
    @discardableResult
    public func rebind(_ client: SocketAddress? = nil) async -> Int {
        (try? await onLoop { $0.rebind(client) }) ?? 0
    }

    /// A snapshot of the counters (after ``shutdown()``, the final ones).
    public func statistics() async -> ProxyStatistics {
        if let final = finalStatistics.withLock({ $0 }) { return final }
        return (try? await onLoop { $0.statistics() }) ?? ProxyStatistics()
    }

    /// Runs one line of the control protocol (see ``ProxyControlCommand``) and returns the
    /// one-line answer: `ok …`, `error: …`, or a JSON object for `stats`.
    ///
    /// ```swift
    /// print(await proxy.execute("set loss=up:20% delay=30ms"))   // "ok"
    /// ```
    public func execute(_ line: String) async -> String {
        (try? await onLoop { $0.execute(line).answer }) ?? "error: \(ProxyError.shutDown)"
    }

    /// Closes every socket and stops the timers. Held datagrams are discarded; counters stay
    /// readable through ``statistics()``. Calling it again does nothing.
    public func shutdown() async {
        let core = self.core
        let future = try? await eventLoop.submit { () -> EventLoopFuture<Void> in
            core.value.shutdown()
        }.get()
        try? await future?.get()
        let final = try? await onLoop { $0.statistics() }
        finalStatistics.withLock { stored in
            if stored == nil { stored = final }
        }
    }

    /// Runs `body` on the proxy's loop with the core.
    func onLoop<Result: Sendable>(_ body: @escaping @Sendable (ProxyCore) -> Result) async throws(ProxyError) -> Result {
        let core = self.core
        do {
            return try await eventLoop.submit { body(core.value) }.get()
        } catch {
            throw .shutDown
        }
    }
}

extension SocketOptionValue {
    /// `value` clamped to the option's range.
    init(clamping value: Int) {
        self = SocketOptionValue(Swift.min(Swift.max(value, 0), Int(SocketOptionValue.max)))
    }
}
