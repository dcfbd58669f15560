import NIOCore

/// What a ``DatagramChannelHandler`` hands its socket's events to: the ``EndpointDriver`` of an
/// RUDP socket, or the sender or receiver of a raw-UDP baseline socket (``RawDatagramPath``).
protocol DatagramChannelDriver: AnyObject {
    func channelActive(_ context: ChannelHandlerContext)
    func channelRead(_ envelope: AddressedEnvelope<ByteBuffer>)
    func channelReadComplete()
    func channelInactive()
    /// An error of the socket, which stays open: a UDP socket's errors (e.g. ICMP-reported
    /// refusals) concern single datagrams.
    func socketError(_ error: any Error)
}

extension DatagramChannelDriver {
    func socketError(_ error: any Error) {}
}

/// The only handler of a UDP socket's pipeline: hands datagrams and batch boundaries to its
/// driver, which runs on this event loop. One type for the RUDP sockets and the raw baseline's,
/// so that `rudp bench --baseline` measures the same channel path.
final class DatagramChannelHandler<Driver: DatagramChannelDriver>: ChannelInboundHandler {
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
        // Keep the socket open; the driver decides (a client may give up on a refused CONNECT).
        driver.socketError(error)
    }
}
