import NIOCore
import RUDPCore

/// The receiving end of the raw-UDP baseline of `rudp bench --baseline` (``RawDatagramPath``):
/// every datagram read is one message, handed to the application exactly as ``EndpointDriver``
/// hands over what the engine delivers: copied once out of the socket's buffer into a
/// ``ReceivedMessage``, collected over one read batch (vector reads), then published to a
/// ``ConnectionMailbox`` once per batch, which resumes the consuming task; the consumer's credit
/// releases hop back to this loop as the protocol's do (there is no engine to give them to).
///
/// No checksum, header, reordering, duplicate check or acknowledgement: after each batch it
/// stores the highest sequence number read (bytes 8..<16, little-endian, of the bench's stamp) in
/// ``RawDatagramAcknowledgements``, which frees the sender's budget, and wakes the sender's loop
/// only if it waits for that.
///
/// Loop-side members are confined to `eventLoop` (hence `@unchecked Sendable`); the application
/// uses ``messages`` only.
package final class RawDatagramReceiver: @unchecked Sendable {
    let eventLoop: any EventLoop
    let mailbox: ConnectionMailbox

    private var delivered: [ReceivedMessage] = []
    /// One more than the highest sequence number read.
    private var through: UInt64 = 0
    private var reportedThrough: UInt64 = 0
    /// Where `through` goes after each batch.
    private let acknowledgements: RawDatagramAcknowledgements
    /// Wakes the sender's loop when it asked for it (set before traffic starts).
    private var wakeSender: (@Sendable () -> Void)?
    private var isFinished = false
    /// Datagrams read from the socket.
    private(set) var datagramsReceived = 0
    /// The buffers of messages the consumer took, reused for later datagrams as the engine's
    /// receive memory pool reuses released messages' buffers.
    private var recycler = MessageBufferRecycler()

    init(eventLoop: any EventLoop, configuration: ConnectionConfiguration, acknowledgements: RawDatagramAcknowledgements) {
        self.eventLoop = eventLoop
        self.acknowledgements = acknowledgements
        self.mailbox = ConnectionMailbox(configuration: configuration, messageLimit: configuration.maxMessageSize, channelCount: 1)
        mailbox.connected(messageLimit: configuration.maxMessageSize, channelCount: 1)
    }

    /// The messages read, in the order read; finishes after ``finish()``. Single consumer.
    package var messages: RawDatagramMessages { RawDatagramMessages(receiver: self) }

    /// The next message, or nil once finished (the same call ``RUDPConnection``'s stream makes).
    nonisolated(nonsending) func nextMessage() async throws -> ReceivedMessage? {
        try await mailbox.nextMessage { [self] in
            eventLoop.execute { [self] in
                for message in mailbox.takeReleases() { recycler.recycle(message.buffer) }
            }
        }
    }

    /// Ends ``messages`` once the messages read so far are taken (the sender is done).
    package func finish() {
        eventLoop.execute { [self] in finishOnLoop() }
    }

    // MARK: - Loop side

    func setWakeSender(_ wakeSender: @escaping @Sendable () -> Void) {
        self.wakeSender = wakeSender
    }

    /// One read: a datagram, or with GRO several coalesced (as ``EndpointDriver`` splits them).
    func channelRead(_ envelope: AddressedEnvelope<ByteBuffer>) {
        guard !isFinished else { return }
        envelope.data.withUnsafeReadableBytes { bytes in
            ReceiveOffload.forEachSegment(of: bytes, segmentSize: envelope.metadata?.segmentSize) { datagram in
                datagramsReceived += 1
                if datagram.count >= 16 {
                    var sequence: UInt64 = 0
                    for index in (8..<16).reversed() { sequence = sequence << 8 | UInt64(datagram[index]) }
                    if sequence &+ 1 > through { through = sequence &+ 1 }
                }
                delivered.append(ReceivedMessage(buffer: recycler.message(copying: datagram), channel: 0, mode: .reliableOrdered))
            }
        }
    }

    func channelReadComplete() {
        guard !delivered.isEmpty else { return }
        _ = mailbox.publish(statistics: ConnectionStatistics(), moved: (0, 0), delivered: delivered, resolutions: [])
        delivered.removeAll(keepingCapacity: true)
        if through > reportedThrough {
            reportedThrough = through
            acknowledgements.through.store(through, ordering: .sequentiallyConsistent)
            if acknowledgements.wanted.exchange(false, ordering: .sequentiallyConsistent) { wakeSender?() }
        }
    }

    func channelInactive() {
        finishOnLoop()
    }

    private func finishOnLoop() {
        guard !isFinished else { return }
        isFinished = true
        mailbox.close(reason: .closedLocally, error: nil, statistics: ConnectionStatistics(), delivered: delivered, resolutions: [])
        delivered.removeAll()
    }
}

extension RawDatagramReceiver: DatagramChannelDriver {
    func channelActive(_ context: ChannelHandlerContext) {}
}
