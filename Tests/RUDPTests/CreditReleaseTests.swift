import RUDPCore
import Testing

@testable import RUDP

@Suite("Credit release")
struct CreditReleaseTests {
    /// The stall of the 10 MB lossy transfer, without loss: the first message reaches a consumer
    /// that is already waiting (so the loop hands it over directly) and is worth the release
    /// threshold (an eighth of the window); then the application falls a whole window behind, the
    /// sender stops, and the application takes the rest. Before the fix the hand-over left a
    /// release marked as scheduled that never ran, the later takes scheduled none, and with no
    /// delivery to carry the credit back the transfer stopped for good (MAX_DATA stuck at
    /// released + window; only keep-alives on the wire).
    @Test("An application that catches up after falling a window behind returns the credit")
    func catchingUpReleasesCredit() async throws {
        let window = 64 << 10
        let messageSize = window / 8
        let messageCount = 20  // the first, a window's worth, and more that need its credit
        var serverConfiguration = testConfiguration(seed: 90)
        serverConfiguration.connection.receiveWindow = window
        serverConfiguration.connection.maxMessageSize = window / 4
        let server = try await RUDPServer.bind(port: 0, configuration: serverConfiguration)
        let port = server.port
        let received = try await withHangGuard("credit release after catching up") {
            let client = try await RUDPClient.connect(host: "127.0.0.1", port: port, configuration: testConfiguration(seed: 91))
            var connections = server.connections.makeAsyncIterator()
            guard let connection = await connections.next() else { throw RUDPError.closedLocally }
            let receiving = Task {
                var messages = connection.messages.makeAsyncIterator()
                var received: [ReceivedMessage] = []
                // Waits before anything was sent: the first message is handed over.
                guard let first = try await messages.next() else { return received }
                received.append(first)
                // Falls behind until the sender has used the whole window.
                while await connection.statistics().messagesDelivered < 9 {
                    try await Task.sleep(for: .milliseconds(5))
                }
                while received.count < messageCount, let message = try await messages.next() {
                    received.append(message)
                }
                return received
            }
            while connection.mailbox.state.withLock({ $0.consumer == nil }) {
                try await Task.sleep(for: .milliseconds(1))
            }
            for i in 0..<messageCount {
                try await client.send([UInt8](repeating: UInt8(i), count: messageSize))
            }
            // The guard cancels this body only: pass it on, or a stall would outlive the guard.
            let received = try await withTaskCancellationHandler {
                try await receiving.value
            } onCancel: {
                receiving.cancel()
            }
            try await client.waitUntilAllAcknowledged()
            try await client.close()
            return received
        }
        #expect(received.map { $0.bytes } == (0..<messageCount).map { [UInt8](repeating: UInt8($0), count: messageSize) })
        await server.shutdown()
    }
}
