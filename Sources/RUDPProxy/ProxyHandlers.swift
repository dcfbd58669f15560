import NIOCore

/// Reads the listening socket: every datagram from a client goes to ``ProxyCore``.
final class ListenHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let core: ProxyCore

    init(core: ProxyCore) { self.core = core }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        core.receiveFromClient(envelope.data, from: envelope.remoteAddress)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        core.flushWrites()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        core.listenError(error)
    }
}

/// Reads one flow's upstream socket: replies go to ``ProxyCore``, errors are counted.
final class UpstreamHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let core: ProxyCore
    private let flow: Flow
    /// The flow's socket generation this socket was opened for (see ``Flow/socketGeneration``).
    private let generation: Int

    init(core: ProxyCore, flow: Flow, generation: Int) {
        self.core = core
        self.flow = flow
        self.generation = generation
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard flow.socketGeneration == generation else { return }  // a socket replaced by a rebinding
        core.receiveFromUpstream(unwrapInboundIn(data).data, flow: flow)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        core.flushWrites()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard flow.socketGeneration == generation else { return }
        core.upstreamError(error, flow: flow)
    }

    func channelInactive(context: ChannelHandlerContext) {
        guard flow.socketGeneration == generation else { return }  // closed by a rebinding
        core.upstreamClosed(flow: flow)
    }
}
