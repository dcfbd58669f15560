import NIOCore
import NIOPosix
import RUDPCore

/// The raw-UDP baseline of `rudp bench --baseline`: the transport's path with no protocol, so
/// that a benchmark's ratio against it isolates what the protocol costs.
///
/// Two loopback UDP sockets in this process, a ``RawDatagramSender`` and a
/// ``RawDatagramReceiver``, each on its own event loop of the same group as RUDP's sockets.
///
/// What it shares with an RUDP connection (the same code, not a copy):
/// - the socket setup (``SocketBinding/configuredBootstrap(on:connection:vectorReadCount:)``:
///   vector reads of 64 datagrams on the receiving socket and 16 on the sending one, the same
///   receive allocator and socket buffer sizes), one handler per pipeline;
/// - the write path (``DatagramBatch``): one copy of each message into the socket's buffer, runs
///   of equal-sized datagrams as one UDP GSO write where the kernel has it, one flush per step;
/// - the bridges between tasks and event loops (``ConnectionMailbox``): `send` queues under the
///   mailbox's lock with the same send budget and back-pressure and wakes the loop with one
///   hop; each read batch is copied into ``ReceivedMessage``s and published once, resuming the
///   consuming task; credit releases hop back to the receiving loop.
///
/// What it leaves out: the engine (headers, CRC-32C, encryption, packet numbers, ACK frames and
/// datagrams, reordering and duplicate checks, reassembly, congestion and flow control, pacing,
/// timers, loss recovery, handshake). A message is one datagram, so messages must fit in
/// `maxDatagramSize` bytes. The send budget is freed through memory shared by the two loops (the
/// highest sequence number read; ``RawDatagramAcknowledgements``) instead of acknowledgements on
/// the wire, with a hop to the sender's loop only when a task waits for it, and a datagram
/// the network drops is simply missing: the baseline is the loss-free floor.
///
/// ```swift
/// let path = try await RawDatagramPath.open(configuration: ConnectionConfiguration())
/// let receiving = Task { for try await message in path.receiver.messages { ... } }
/// try await path.sender.send(stampedMessage)
/// try await path.sender.waitUntilAllAcknowledged()
/// path.receiver.finish()
/// await path.close()
/// ```
package final class RawDatagramPath: Sendable {
    /// The sending end (bound to the wildcard address, like an RUDP client).
    package let sender: RawDatagramSender
    /// The receiving end (bound to `host`, like an RUDP server).
    package let receiver: RawDatagramReceiver
    private let senderChannel: any Channel
    private let receiverChannel: any Channel

    private init(sender: RawDatagramSender, receiver: RawDatagramReceiver, senderChannel: any Channel, receiverChannel: any Channel) {
        self.sender = sender
        self.receiver = receiver
        self.senderChannel = senderChannel
        self.receiverChannel = receiverChannel
    }

    /// Binds the receiving socket at `host` (an IPv4 or IPv6 address of this machine) on a free
    /// port and the sending socket on the wildcard address, as ``RUDPServer`` and ``RUDPClient``
    /// do. `configuration` sets the send budget (`sendBufferMessages`, `sendBufferBytes`), the
    /// largest message (`maxDatagramSize`), the receive allocator and the credit-release batch
    /// (`receiveWindow`). Datagrams not read `lossTimeout` after the receiver's last progress
    /// count as lost (``RawDatagramSender/lossTimeout``).
    /// `segmentationOffload` and `receiveOffload` turn GSO and GRO off when false (as
    /// `RUDPConfiguration`'s SPI switches do for the protocol's sockets).
    package static func open(
        host: String = "127.0.0.1", configuration: ConnectionConfiguration,
        lossTimeout: TimeAmount = RawDatagramSender.defaultLossTimeout,
        segmentationOffload: Bool = true, receiveOffload: Bool = true
    ) async throws -> RawDatagramPath {
        if let problem = configuration.validate() {
            throw RUDPError(.invalidArgument, "invalid connection configuration: \(problem)")
        }
        let requested = try await SocketBinding.resolve(host: host, port: 0)
        let receiverLoop = MultiThreadedEventLoopGroup.singleton.next()
        let acknowledgements = RawDatagramAcknowledgements()
        let receiver = RawDatagramReceiver(eventLoop: receiverLoop, configuration: configuration, acknowledgements: acknowledgements)
        let receiverChannel = try await bind(
            requested, on: receiverLoop, configuration: configuration, receiveOffload: receiveOffload,
            vectorReadCount: SocketBinding.serverVectorReadCount
        ) { DatagramChannelHandler(driver: receiver) }
        do {
            guard let bound = receiverChannel.localAddress, let peer = PeerAddress(bound) else {
                throw RUDPError(.invalidArgument, "the baseline's receiving socket has no IP address")
            }
            let wildcard = try SocketAddress(ipAddress: bound.protocol == .inet6 ? "::" : "0.0.0.0", port: 0)
            let senderLoop = MultiThreadedEventLoopGroup.singleton.next()
            let sender = RawDatagramSender(
                eventLoop: senderLoop, configuration: configuration, destination: bound, peer: peer,
                acknowledgements: acknowledgements, lossTimeout: lossTimeout,
                segmentationOffload: segmentationOffload)
            try await receiverLoop.submit {
                receiver.setWakeSender {
                    senderLoop.execute { sender.collectAcknowledgements() }
                }
            }.get()
            let senderChannel = try await bind(
                wildcard, on: senderLoop, configuration: configuration, receiveOffload: receiveOffload,
                vectorReadCount: SocketBinding.clientVectorReadCount
            ) { DatagramChannelHandler(driver: sender) }
            return RawDatagramPath(sender: sender, receiver: receiver, senderChannel: senderChannel, receiverChannel: receiverChannel)
        } catch {
            try? await receiverChannel.close()
            throw error
        }
    }

    private static func bind<Driver: DatagramChannelDriver>(
        _ address: SocketAddress, on loop: any EventLoop, configuration: ConnectionConfiguration, receiveOffload: Bool,
        vectorReadCount: Int,
        handler: @escaping @Sendable () -> DatagramChannelHandler<Driver>
    ) async throws -> any Channel {
        let bootstrap = SocketBinding.configuredBootstrap(
            on: loop, connection: configuration, vectorReadCount: vectorReadCount,
            receiveOffload: receiveOffload
        )
        .channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(handler())
            }
        }
        do {
            return try await bootstrap.bind(to: address).get()
        } catch {
            throw RUDPError(.invalidArgument, "could not bind a UDP socket to \(SocketBinding.describe(address)): \(error)")
        }
    }

    /// The counters of both ends.
    package func statistics() async -> RawDatagramStatistics {
        let sender = self.sender, receiver = self.receiver
        var statistics = RawDatagramStatistics()
        if let sent = try? await sender.eventLoop.submit({ (sender.datagramsSent, sender.datagramsLost, sender.usesSegmentation) }).get() {
            (statistics.datagramsSent, statistics.datagramsTimedOut, statistics.usesSegmentation) = sent
        }
        statistics.datagramsReceived = (try? await receiver.eventLoop.submit { receiver.datagramsReceived }.get()) ?? 0
        return statistics
    }

    /// Closes both sockets; pending calls fail and ``RawDatagramReceiver/messages`` finishes.
    package func close() async {
        let sender = self.sender
        try? await sender.eventLoop.submit { sender.close(error: nil) }.get()
        try? await senderChannel.close()
        try? await receiverChannel.close()
    }
}
