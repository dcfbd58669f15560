import NIOCore

/// The only handler of an RUDP socket's pipeline: hands datagrams and batch boundaries to the
/// ``EndpointDriver``, which runs the engine on this event loop.
final class EndpointChannelHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let driver: EndpointDriver

    init(driver: EndpointDriver) {
        self.driver = driver
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { driver.channelActive(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        driver.channelActive(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        driver.channelRead(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        driver.channelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        driver.channelInactive()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A UDP socket's errors (e.g. ICMP-reported refusals) concern single datagrams; the
        // driver decides (a client may give up on a refused CONNECT). Keep the socket open.
        driver.socketError(error)
    }
}
