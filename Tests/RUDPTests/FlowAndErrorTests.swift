import NIOCore
@_spi(Testing) import RUDP
import Synchronization
import Testing

@Suite("Back-pressure, close and errors")
struct FlowAndErrorTests {
    @Test("A slow consumer back-pressures the sender without unbounded buffering")
    func slowConsumerBackPressures() async throws {
        let messageSize = 4 << 10
        var serverConfiguration = testConfiguration(seed: 60)
        serverConfiguration.connection.receiveWindow = 64 << 10
        serverConfiguration.connection.maxMessageSize = 16 << 10
        var clientConfiguration = testConfiguration(seed: 61)
        clientConfiguration.connection.sendBufferBytes = 64 << 10
        clientConfiguration.connection.maxMessageSize = 16 << 10
        let server = try await RUDPServer.bind(port: 0, configuration: serverConfiguration)
        let port = server.port
        let clientSettings = clientConfiguration
        let total = 200  // 800 KiB, far beyond window + send buffer (128 KiB)
        try await withHangGuard("slow consumer") {
            let client = try await RUDPClient.connect(host: "127.0.0.1", port: port, configuration: clientSettings)
            var accepted = server.connections.makeAsyncIterator()
            let connection = try #require(await accepted.next())
            let sentCount = Atomic<Int>(0)
            let sender = Task {
                for i in 0..<total {
                    try await client.send(pseudoRandomBytes(count: messageSize, seed: UInt64(i)))
                    sentCount.add(1, ordering: .relaxed)
                }
            }
            // Nobody reads on the server: the sender must stall once window and buffer are full.
            // Wait until the count stops moving (three quiet 200 ms polls in a row).
            var stalledAt = sentCount.load(ordering: .relaxed)
            var quietPolls = 0
            while quietPolls < 3 {
                try await Task.sleep(for: .milliseconds(200))
                let now = sentCount.load(ordering: .relaxed)
                quietPolls = now == stalledAt ? quietPolls + 1 : 0
                stalledAt = now
            }
            // Window (64 KiB) + send buffer (64 KiB) in 4 KiB messages, plus the message in hand.
            #expect(stalledAt <= (64 << 10) / messageSize * 2 + 1, "stalled only after \(stalledAt) messages")
            #expect(stalledAt < total)
            // Now consume everything, in order.
            var iterator = connection.messages.makeAsyncIterator()
            for i in 0..<total {
                let message = try #require(try await iterator.next())
                #expect(message.bytes == pseudoRandomBytes(count: messageSize, seed: UInt64(i)))
            }
            try await sender.value
            try await client.close()
        }
        await server.shutdown()
    }

    @Test("close() after sends delivers everything first")
    func closeDeliversEverything() async throws {
        let server = try await RUDPServer.bind(port: 0, configuration: testConfiguration(seed: 70))
        let port = server.port
        let count = 2000
        try await withHangGuard("close after sends") {
            let receiving = Task { () -> [Int] in
                var accepted = server.connections.makeAsyncIterator()
                guard let connection = await accepted.next() else { return [] }
                var received: [Int] = []
                for try await message in connection.messages {  // finishes when the peer closes
                    received.append(Int(message.bytes[0]) | Int(message.bytes[1]) << 8)
                }
                return received
            }
            let client = try await RUDPClient.connect(host: "127.0.0.1", port: port, configuration: testConfiguration(seed: 71))
            for i in 0..<count {
                var payload = [UInt8](repeating: 0xAB, count: 1000)
                payload[0] = UInt8(i & 0xFF)
                payload[1] = UInt8(i >> 8)
                try await client.send(payload)
            }
            try await client.close()
            #expect(await client.closeReason() == .closedLocally)
            let received = try await receiving.value
            #expect(received == Array(0..<count))
            let statistics = await client.statistics()
            #expect(statistics.messagesAcknowledged == count)
            await #expect(throws: RUDPError.self) { try await client.send([1]) }
        }
        await server.shutdown()
    }

    @Test("sendAndWaitForAcknowledgement and waitUntilAllAcknowledged return once the peer has the data")
    func acknowledgementWaits() async throws {
        let server = try await RUDPServer.bind(port: 0, configuration: testConfiguration(seed: 75))
        let serving = startEchoServer(server)
        let port = server.port
        try await withHangGuard("acknowledgement waits") {
            let client = try await RUDPClient.connect(host: "127.0.0.1", port: port, configuration: testConfiguration(seed: 76))
            try await client.sendAndWaitForAcknowledgement(Array("one".utf8))
            #expect(await client.statistics().messagesAcknowledged == 1)
            for i in 0..<100 { try await client.send([UInt8(i)], channel: UInt8(i % 4)) }
            try await client.waitUntilAllAcknowledged()
            #expect(await client.statistics().messagesAcknowledged == 101)
            try await client.close()
        }
        await server.shutdown()
        try await withHangGuard("serve returns") { try await serving.value }
    }

    @Test("waitUntilAllAcknowledged fails, never succeeds, when the connection ends with messages unacknowledged")
    func barrierFailsWhenTheConnectionEnds() async throws {
        // The server reads the handshake, then drops everything: nothing the client sends next
        // is acknowledged. The client aborts while a barrier waits: the engine then empties its
        // send buffer (the messages failed) before the connection has closed, which must not
        // read as "everything acknowledged".
        var serverConfiguration = testConfiguration(seed: 77)
        serverConfiguration.receiveLoss = 1
        serverConfiguration.lossWarmupDatagrams = 2
        let server = try await RUDPServer.bind(port: 0, configuration: serverConfiguration)
        let port = server.port
        try await withHangGuard("barrier at abort") {
            let client = try await RUDPClient.connect(host: "127.0.0.1", port: port, configuration: testConfiguration(seed: 78))
            for i in 0..<20 { try await client.send([UInt8(i)]) }
            let barrier = Task { try await client.waitUntilAllAcknowledged() }
            try await Task.sleep(for: .milliseconds(50))
            await client.abort()
            await #expect(throws: (any Error).self) { try await barrier.value }
            #expect(await client.statistics().messagesAcknowledged < 20)
        }
        await server.shutdown()
    }

    @Test("messageTooLarge is typed and clear, on either side's limit")
    func messageTooLarge() async throws {
        var serverConfiguration = testConfiguration(seed: 80)
        serverConfiguration.connection.maxMessageSize = 64 << 10
        let server = try await RUDPServer.bind(port: 0, configuration: serverConfiguration)
        let port = server.port
        try await withHangGuard("message too large") {
            let client = try await RUDPClient.connect(host: "127.0.0.1", port: port, configuration: testConfiguration(seed: 81))
            do {
                try await client.send([UInt8](repeating: 0, count: 2 << 20))
                Issue.record("a 2 MiB message was accepted")
            } catch let error as RUDPError {
                #expect(error.code == .messageTooLarge)
                #expect(error.message == "message of 2097152 bytes exceeds the limit of 65536 bytes")
            }
            do {
                try await client.send([1], channel: 200)
                Issue.record("channel 200 was accepted")
            } catch let error as RUDPError {
                #expect(error.code == .invalidArgument)
            }
            // The connection still works.
            try await client.sendAndWaitForAcknowledgement([UInt8](repeating: 1, count: 64 << 10))
            try await client.close()
        }
        await server.shutdown()
    }

    @Test("addressInUse is typed and names the address")
    func addressInUse() async throws {
        let server = try await RUDPServer.bind(port: 0)
        do {
            _ = try await RUDPServer.bind(port: server.port)
            Issue.record("a second server bound the same port")
        } catch let error as RUDPError {
            #expect(error.code == .addressInUse)
            #expect(error.message == "address 127.0.0.1:\(server.port) is already in use")
        }
        await server.shutdown()
    }

    @Test("A server that never answers gives connectTimedOut")
    func connectTimesOut() async throws {
        let probe = try await RUDPServer.bind(port: 0)
        let port = probe.port
        await probe.shutdown()
        var configuration = testConfiguration(seed: 90)
        configuration.connection.connectTimeout = .milliseconds(600)
        let settings = configuration
        let error = try await withHangGuard("connect timeout") { () -> RUDPError? in
            do {
                _ = try await RUDPClient.connect(host: "127.0.0.1", port: port, configuration: settings)
                return nil
            } catch let error as RUDPError {
                return error
            }
        }
        #expect(error?.code == .connectTimedOut)
    }

    @Test("Unresolvable hosts and bad arguments are typed errors")
    func badArguments() async throws {
        await #expect(throws: RUDPError(.hostNotResolved, "could not resolve host 'no-such-host.invalid'")) {
            _ = try await withHangGuard("resolve") {
                try await RUDPClient.connect(host: "no-such-host.invalid", port: 9)
            }
        }
        await #expect(throws: RUDPError(.invalidArgument, "port 70000 is out of range (0...65535)")) {
            _ = try await RUDPServer.bind(port: 70000)
        }
        var configuration = RUDPConfiguration()
        configuration.receiveLoss = 2
        await #expect(throws: RUDPError(.invalidArgument, "receiveLoss must be between 0 and 1, got 2.0")) {
            _ = try await RUDPServer.bind(port: 0, configuration: configuration)
        }
    }
}
