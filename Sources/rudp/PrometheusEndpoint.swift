import NIOCore
import NIOHTTP1
import NIOPosix
import Prometheus
import ServiceLifecycle

/// A small HTTP/1.1 server (swift-nio's NIOHTTP1) for Prometheus: `GET /metrics` (or `HEAD`)
/// answers the registry in the text exposition format; any other path is 404, any other method
/// on /metrics 405. swift-prometheus keeps the metrics but has no server of its own.
///
/// A `Service`: a `ServiceGroup` runs it beside the command's server and closes it on
/// graceful shutdown.
///
/// ```swift
/// let endpoint = try await PrometheusEndpoint.start(host: "127.0.0.1", port: 9464, registry: registry)
/// print("metrics on", endpoint.url)   // curl http://127.0.0.1:9464/metrics
/// ```
final class PrometheusEndpoint: Service, Sendable {
    /// The TCP address the endpoint listens on (with the real port when port 0 was asked for).
    let localAddress: SocketAddress
    private let channel: any Channel

    private init(channel: any Channel, localAddress: SocketAddress) {
        self.channel = channel
        self.localAddress = localAddress
    }

    /// The address to scrape: `http://HOST:PORT/metrics`.
    var url: String {
        let host = localAddress.ipAddress.map { localAddress.protocol == .inet6 ? "[\($0)]" : $0 } ?? "?"
        return "http://\(host):\(localAddress.port ?? 0)/metrics"
    }

    /// Binds `host:port` (port 0 picks a free one). `refresh` runs before each scrape, for
    /// metrics that are read from a snapshot rather than updated as they happen (the proxy's).
    static func start(
        host: String, port: Int, registry: PrometheusCollectorRegistry,
        refresh: (@Sendable () async -> Void)? = nil
    ) async throws -> PrometheusEndpoint {
        let scrape: @Sendable () async -> [UInt8] = {
            await refresh?()
            return registry.emitToBuffer()
        }
        let channel: any Channel
        do {
            channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        try channel.pipeline.syncOperations.addHandler(MetricsRequestHandler(scrape: scrape))
                    }
                }
                .bind(host: host, port: port)
                .get()
        } catch {
            throw CLIError("cannot serve metrics on \(HostPort(host: host, port: port)): \(error)")
        }
        guard let address = channel.localAddress else {
            try? await channel.close()
            throw CLIError("the metrics socket has no local address")
        }
        return PrometheusEndpoint(channel: channel, localAddress: address)
    }

    /// Serves until graceful shutdown or cancellation, then closes the listening socket.
    func run() async throws {
        try? await gracefulShutdown()
        await close()
    }

    /// Closes the listening socket (connections being answered finish).
    func close() async {
        try? await channel.close()
    }
}

/// Answers one HTTP connection's requests: `/metrics` with the scrape, anything else 404.
final class MetricsRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// The content type of the Prometheus text exposition format.
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    private let scrape: @Sendable () async -> [UInt8]
    private var request: HTTPRequestHead?

    init(scrape: @escaping @Sendable () async -> [UInt8]) {
        self.scrape = scrape
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = head
        case .body:
            break
        case .end:
            guard let head = request else { return }
            request = nil
            respond(to: head, context: context)
        }
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? head.uri
        guard path == "/metrics" else {
            write(.notFound, body: Array("not found: GET /metrics serves the metrics\n".utf8), to: head, context: context)
            return
        }
        guard head.method == .GET || head.method == .HEAD else {
            write(
                .methodNotAllowed, body: Array("only GET and HEAD\n".utf8), to: head, context: context,
                extraHeaders: [("Allow", "GET, HEAD")])
            return
        }
        let promise = context.eventLoop.makePromise(of: [UInt8].self)
        promise.completeWithTask(scrape)
        promise.futureResult.assumeIsolated().whenSuccess { bytes in
            self.write(.ok, body: bytes, to: head, context: context, contentType: Self.contentType)
        }
    }

    private func write(
        _ status: HTTPResponseStatus, body: [UInt8], to request: HTTPRequestHead, context: ChannelHandlerContext,
        contentType: String = "text/plain; charset=utf-8", extraHeaders: [(String, String)] = []
    ) {
        var headers = HTTPHeaders([("Content-Type", contentType), ("Content-Length", "\(body.count)")] + extraHeaders)
        let keepAlive = request.isKeepAlive
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
        if request.method != .HEAD {
            var buffer = context.channel.allocator.buffer(capacity: body.count)
            buffer.writeBytes(body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            done.whenComplete { _ in loopBound.value.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
