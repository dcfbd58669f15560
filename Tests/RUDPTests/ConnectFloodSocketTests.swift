import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import RUDP

/// Counts the datagrams and bytes a flooding socket receives (the server's answers).
private final class AnswerCounter: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let datagrams = Atomic<Int>(0)
    let bytes = Atomic<Int>(0)

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        datagrams.add(1, ordering: .relaxed)
        bytes.add(envelope.data.readableBytes, ordering: .relaxed)
    }
}

@Suite("CONNECT flood on real sockets")
struct ConnectFloodSocketTests {
    /// A well-formed plain CONNECT from a made-up client.
    static func forgedConnect(clientID: UInt64) -> [UInt8] {
        var bytes = Packet(
            destination: .none, packetNumber: 0,
            body: .connect(TransportParameters(sourceConnectionID: ConnectionID(clientID | 1)), cookie: [])
        ).serialized()
        Datagram.seal(&bytes)
        return bytes
    }

    @Test("a real client connects every time while 20,000 forged CONNECTs from 64 loopback addresses arrive; answers stay below 3x")
    func floodWhileConnecting() async throws {
        let seed: UInt64 = 61
        let server = try await RUDPServer.bind(port: 0, configuration: testConfiguration(seed: seed))
        let serving = startEchoServer(server)
        let port = server.port
        let socketCount = 64, perSocket = 20_000 / 64
        try await withHangGuard("flood (seed \(seed))") {
            // 64 flooding sockets on 127.0.1.1 ... 127.0.1.64: 64 hosts to the server.
            var sockets: [(channel: any Channel, counter: AnswerCounter)] = []
            for index in 1...socketCount {
                let counter = AnswerCounter()
                let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(counter) }
                    }
                    .bind(host: "127.0.1.\(index)", port: 0).get()
                sockets.append((channel, counter))
            }
            let target = try SocketAddress(ipAddress: "127.0.0.1", port: port)
            let flooding = Task {
                var generator = SeededGenerator(seed: seed)
                var sent = 0, bytesSent = 0
                for round in 0..<perSocket {
                    for (channel, _) in sockets {
                        let bytes = Self.forgedConnect(clientID: generator.next())
                        channel.write(AddressedEnvelope(remoteAddress: target, data: ByteBuffer(bytes: bytes)), promise: nil)
                        sent += 1
                        bytesSent += bytes.count
                    }
                    if round % 8 == 7 {
                        for (channel, _) in sockets { channel.flush() }
                        try await Task.sleep(for: .milliseconds(40))  // about 10,000 CONNECTs a second
                    }
                }
                for (channel, _) in sockets { channel.flush() }
                return (sent, bytesSent)
            }
            // Meanwhile a real client connects ten times, 0.1 s apart. The connect timeout is the
            // tests' hang guard (a minute): a 3 s one expired beside stress-ng at load 8, which
            // is the machine's doing, not the flood's.
            let clientConfiguration = testConfiguration(seed: seed + 1)
            var connected = 0
            for attempt in 0..<10 {
                let client = try await RUDPClient.connect(host: "127.0.0.1", port: port, configuration: clientConfiguration)
                try await client.send(Array("attempt \(attempt)".utf8))
                var iterator = client.messages.makeAsyncIterator()
                if try await iterator.next()?.bytes == Array("attempt \(attempt)".utf8) { connected += 1 }
                try await client.close()
                try await Task.sleep(for: .milliseconds(100))
            }
            let (sent, bytesSent) = try await flooding.value
            #expect(connected == 10, "seed \(seed)")
            // Let the server read everything, then compare what each flooding host got back.
            var statistics = await server.statistics()
            for _ in 0..<200 where statistics.datagramsReceived < sent {
                try await Task.sleep(for: .milliseconds(20))
                statistics = await server.statistics()
            }
            try await Task.sleep(for: .milliseconds(200))
            let answered = sockets.map { $0.counter.bytes.load(ordering: .relaxed) }
            let perHostLimit = 3 * bytesSent / socketCount
            #expect(answered.allSatisfy { $0 <= perHostLimit }, "seed \(seed): answers per host \(answered.max() ?? 0) > \(perHostLimit)")
            let total = answered.reduce(0, +)
            print(
                "flood on real sockets: \(sent) CONNECTs (\(bytesSent) B) from \(socketCount) hosts; answers \(total) B "
                    + "(\(Double(total) / Double(bytesSent))x); server: retries \(statistics.retriesSent), "
                    + "accepted \(statistics.connectionsAccepted), evicted \(statistics.halfOpenEvicted), refused \(statistics.connectionsRefused), "
                    + "received \(statistics.datagramsReceived), answers dropped \(statistics.statelessAnswersDropped)")
            #expect(statistics.retriesSent > 0, "seed \(seed): the default policy answers the flood with RETRY")
            for (channel, _) in sockets { try await channel.close() }
        }
        await server.shutdown()
        try await withHangGuard("serve returns") { try await serving.value }
    }
}
