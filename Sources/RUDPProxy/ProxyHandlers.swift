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

    init(core: ProxyCore, flow: Flow) {
        self.core = core
        self.flow = flow
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        core.receiveFromUpstream(unwrapInboundIn(data).data, flow: flow)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        core.flushWrites()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        core.upstreamError(error, flow: flow)
    }

    func channelInactive(context: ChannelHandlerContext) {
        core.upstreamClosed(flow: flow)
    }
}
