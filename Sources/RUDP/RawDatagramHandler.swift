import NIOCore

/// What a ``RawDatagramHandler`` hands its socket's events to: the baseline's sender or receiver.
protocol RawDatagramChannelDriver: AnyObject {
    func channelActive(_ context: ChannelHandlerContext)
    func channelRead(_ envelope: AddressedEnvelope<ByteBuffer>)
    func channelReadComplete()
    func channelInactive()
}

/// The only handler of a raw-UDP baseline socket's pipeline (``RawDatagramPath``): the
/// counterpart of ``EndpointChannelHandler``, handing datagrams and batch boundaries to its driver.
final class RawDatagramHandler<Driver: RawDatagramChannelDriver>: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let driver: Driver

    init(driver: Driver) {
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
        // Errors of single datagrams (as for RUDP sockets): keep the socket open.
    }
}

extension RawDatagramSender: RawDatagramChannelDriver {
    func channelRead(_ envelope: AddressedEnvelope<ByteBuffer>) {}   // the sender reads nothing
    func channelReadComplete() {}
}

extension RawDatagramReceiver: RawDatagramChannelDriver {
    func channelActive(_ context: ChannelHandlerContext) {}
}
