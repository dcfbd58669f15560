import NIOCore
import NIOPosix
import RUDP
import Testing

@Suite("Junk traffic")
struct JunkTrafficTests {
    @Test("Junk datagrams sprayed at the server do not disturb its connections")
    func junkDoesNotDisturb() async throws {
        let seed: UInt64 = 50
        let server = try await RUDPServer.bind(port: 0, configuration: testConfiguration(seed: seed))
        let serving = startEchoServer(server)
        let port = server.port
        let randomCount = 300, truncatedCount = 300, unknownCount = 300
        try await withHangGuard("junk spray (seed \(seed))") {
            let client = try await RUDPClient.connect(host: "127.0.0.1", port: port, configuration: testConfiguration(seed: seed + 1))
            var iterator = client.messages.makeAsyncIterator()
            func roundTrip(_ i: Int) async throws {
                let payload = pseudoRandomBytes(count: 100 + i, seed: UInt64(i))
                try await client.send(payload)
                #expect(try await iterator.next()?.bytes == payload)
            }
            try await roundTrip(0)
            let baseline = await server.statistics()

            let sprayer = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
            let target = try SocketAddress(ipAddress: "127.0.0.1", port: port)
            var generator = SeededGenerator(seed: seed)
            func write(_ bytes: [UInt8]) {
                sprayer.write(AddressedEnvelope(remoteAddress: target, data: ByteBuffer(bytes: bytes)), promise: nil)
            }
            for i in 0..<max(randomCount, truncatedCount, unknownCount) {
                if i < randomCount {
                    let length = Int(generator.next() % 1200) + 1
                    write((0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) })
                }
                if i < truncatedCount || i < unknownCount {
                    let packet = Packet(
                        destination: ConnectionID(generator.next() | 1), packetNumber: UInt64(i),
                        body: .data([
                            .ping,
                            .message(
                                MessageFrame(
                                    channel: 0, mode: .reliableOrdered, sequence: 0, totalLength: 8, offset: 0,
                                    payload: [1, 2, 3, 4, 5, 6, 7, 8])),
                        ]))
                    var bytes = packet.serialized()
                    Datagram.seal(&bytes)
                    if i < truncatedCount { write(Array(bytes[0..<Int(generator.next() % UInt64(bytes.count))])) }
                    if i < unknownCount { write(bytes) }
                }
                if i % 50 == 0 {
                    sprayer.flush()
                    try await roundTrip(i + 1)  // the real connection keeps working during the spray
                }
            }
            sprayer.flush()
            try await sprayer.close()
            for i in 0..<20 { try await roundTrip(1000 + i) }

            // Every junk datagram is counted (poll until the server has read them all).
            var statistics = await server.statistics()
            while statistics.malformedDatagrams - baseline.malformedDatagrams < randomCount + truncatedCount
                || statistics.unroutableDatagrams - baseline.unroutableDatagrams < unknownCount
            {
                try await Task.sleep(for: .milliseconds(20))
                statistics = await server.statistics()
            }
            #expect(statistics.malformedDatagrams - baseline.malformedDatagrams == randomCount + truncatedCount)
            #expect(statistics.unroutableDatagrams - baseline.unroutableDatagrams == unknownCount)
            #expect(await client.closeReason() == nil)
            try await client.close()
        }
        await server.shutdown()
        try await withHangGuard("serve returns") { try await serving.value }
    }
}
