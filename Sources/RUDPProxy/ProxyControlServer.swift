import NIOCore
import NIOPosix

/// A TCP control port on 127.0.0.1 for a running ``UDPProxy``: each line received is a
/// ``ProxyControlCommand``, each answered by one line. It is how `rudp proxy --control-port`
/// changes impairments and starts partitions while it runs.
///
/// Lines are at most 4096 bytes (a longer one is answered with an error and the connection
/// closed) and at most 16 connections are served at once.
///
/// ```swift
/// let control = try await ProxyControlServer.start(proxy: proxy, port: 0)
/// print("control port", control.localAddress.port!)
/// // $ echo "set loss=0.3" | nc -q1 127.0.0.1 PORT
/// await control.shutdown()
/// ```
public final class ProxyControlServer: Sendable {
    /// Where the control port listens (127.0.0.1).
    public let localAddress: SocketAddress
    private let channel: any Channel

    /// The longest line accepted.
    static let maximumLineLength = 4096
    /// The most connections served at once.
    static let maximumConnections = 16

    private init(localAddress: SocketAddress, channel: any Channel) {
        self.localAddress = localAddress
        self.channel = channel
    }

    /// Listens on 127.0.0.1:`port` (0 picks a free port) for control connections to `proxy`.
    ///
    /// - Throws: ``ProxyError/socket(_:)`` if the port cannot be bound.
    public static func start(proxy: UDPProxy, port: Int) async throws(ProxyError) -> ProxyControlServer {
        guard (0...65_535).contains(port) else { throw .invalidAddress("control port must be in 0...65535, got \(port)") }
        let core = proxy.core
        let loop = proxy.eventLoop
        do {
            let connections = try await loop.submit { NIOLoopBound(ConnectionCount(), eventLoop: loop) }.get()
            let channel = try await ServerBootstrap(group: loop)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            ControlConnectionHandler(core: core.value, connections: connections.value))
                    }
                }
                .bind(host: "127.0.0.1", port: port)
                .get()
            guard let address = channel.localAddress else {
                channel.close(promise: nil)
                throw ProxyError.socket("the control socket has no local address")
            }
            return ProxyControlServer(localAddress: address, channel: channel)
        } catch let error as ProxyError {
            throw error
        } catch {
            throw .socket("cannot listen for control connections on 127.0.0.1:\(port): \(error)")
        }
    }

    /// Stops accepting connections and closes the listening socket.
    public func shutdown() async {
        try? await channel.close()
    }
}

/// Open control connections (confined to the proxy's loop).
final class ConnectionCount {
    var open = 0
}

/// Splits a control connection's bytes into lines and answers each through ``ProxyCore``.
final class ControlConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let core: ProxyCore
    private let connections: ConnectionCount
    private var pending: [UInt8] = []
    private var counted = false

    init(core: ProxyCore, connections: ConnectionCount) {
        self.core = core
        self.connections = connections
    }

    func channelActive(context: ChannelHandlerContext) {
        guard connections.open < ProxyControlServer.maximumConnections else {
            reply("error: too many control connections", context: context)
            context.close(promise: nil)
            return
        }
        connections.open += 1
        counted = true
    }

    func channelInactive(context: ChannelHandlerContext) {
        if counted {
            connections.open -= 1
            counted = false
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        for byte in buffer.readableBytesView {
            if byte == UInt8(ascii: "\n") {
                let line = String(decoding: pending, as: UTF8.self)
                pending.removeAll(keepingCapacity: true)
                let answer = core.execute(line)
                if !answer.answer.isEmpty { reply(answer.answer, context: context) }
                if answer.closesConnection {
                    context.close(promise: nil)
                    return
                }
            } else {
                guard pending.count < ProxyControlServer.maximumLineLength else {
                    reply("error: line longer than \(ProxyControlServer.maximumLineLength) bytes", context: context)
                    context.close(promise: nil)
                    return
                }
                pending.append(byte)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func reply(_ line: String, context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: line.utf8.count + 1)
        buffer.writeString(line)
        buffer.writeInteger(UInt8(ascii: "\n"))
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }
}
