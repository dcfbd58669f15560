import RUDP
import Synchronization
import Testing

/// `RUDPClient.withConnection` and `RUDPServer.withServer` close their sockets when the scope
/// ends, normally or by an error: checked in the kernel's socket table, not only by the
/// connection's state.
@Suite("Scoped APIs")
struct ScopedAPITests {
    struct Planned: Error {}

    /// The client ports the server saw, so a test can look for the client's socket.
    final class Ports: Sendable {
        private let ports = Mutex<[Int]>([])
        func add(_ port: Int?) { if let port { ports.withLock { $0.append(port) } } }
        var all: [Int] { ports.withLock { $0 } }
    }

    @Test("withConnection closes the connection and its socket when the body returns")
    func connectionClosesOnReturn() async throws {
        let server = try await RUDPServer.bind(port: 0, configuration: testConfiguration(seed: 160))
        let ports = Ports()
        let serving = Task {
            try await server.serve { connection in
                ports.add(connection.remoteAddress.port)
                for try await message in connection.messages { try await connection.send(message.bytes) }
            }
        }
        let port = server.port
        let (reply, connection) = try await withHangGuard("echo in a scope") {
            try await RUDPClient.withConnection(host: "127.0.0.1", port: port, configuration: testConfiguration(seed: 161)) { connection in
                try await connection.send(Array("ping".utf8))
                var iterator = connection.messages.makeAsyncIterator()
                return (try await iterator.next()?.bytes, connection)
            }
        }
        #expect(reply == Array("ping".utf8))
        #expect(await connection.closeReason()?.isClean == true)
        let clientPort = try #require(ports.all.first)
        #expect(await UDPSocketTable.waitUntilUnbound(port: clientPort), "the client's socket on port \(clientPort) is still open")
        await server.shutdown()
        try await withHangGuard("serve returns") { try await serving.value }
    }

    @Test("withConnection aborts the connection and closes its socket when the body throws")
    func connectionClosesOnError() async throws {
        let server = try await RUDPServer.bind(port: 0, configuration: testConfiguration(seed: 162))
        let ports = Ports()
        let peerEnded = Mutex<RUDPError?>(nil)
        let serving = Task {
            try await server.serve { connection in
                ports.add(connection.remoteAddress.port)
                do {
                    for try await _ in connection.messages {}
                } catch let error as RUDPError {
                    peerEnded.withLock { $0 = error }
                }
            }
        }
        let port = server.port
        let escaped = Mutex<RUDPConnection?>(nil)
        await #expect(throws: Planned.self) {
            try await withHangGuard("throw in a scope") {
                try await RUDPClient.withConnection(host: "127.0.0.1", port: port, configuration: testConfiguration(seed: 163)) {
                    connection in
                    escaped.withLock { $0 = connection }
                    try await connection.sendAndWaitForAcknowledgement(Array("hello".utf8))
                    throw Planned()
                }
            }
        }
        let connection = try #require(escaped.withLock { $0 })
        #expect(await connection.closeReason() != nil)
        let clientPort = try #require(ports.all.first)
        #expect(await UDPSocketTable.waitUntilUnbound(port: clientPort), "the client's socket on port \(clientPort) is still open")
        // The server's side learns of the abort from the client's CLOSE.
        let code = try await withHangGuard("the server sees the abort") { () -> RUDPError.Code? in
            while peerEnded.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(10)) }
            return peerEnded.withLock { $0 }?.code
        }
        #expect(code == .peerClosed)
        await server.shutdown()
        try await withHangGuard("serve returns") { try await serving.value }
    }

    @Test("withServer shuts the server down and closes its socket when the body returns or throws")
    func serverClosesOnExit() async throws {
        let port = try await RUDPServer.withServer(port: 0, configuration: testConfiguration(seed: 164)) { server in
            #expect(UDPSocketTable.isBound(port: server.port))
            return server.port
        }
        #expect(await UDPSocketTable.waitUntilUnbound(port: port), "the server's socket on port \(port) is still open")

        let thrownPort = Mutex(0)
        await #expect(throws: Planned.self) {
            try await RUDPServer.withServer(port: 0, configuration: testConfiguration(seed: 165)) { server in
                thrownPort.withLock { $0 = server.port }
                throw Planned()
            }
        }
        let second = thrownPort.withLock { $0 }
        #expect(second != 0)
        #expect(await UDPSocketTable.waitUntilUnbound(port: second), "the server's socket on port \(second) is still open")
    }

    @Test("Cancelling the task of withServer ends a serve loop in it and closes the socket; clients see serverShutdown")
    func serverClosesOnCancellation() async throws {
        let bound = AsyncStream<Int>.makeStream()
        let task = Task {
            try await RUDPServer.withServer(port: 0, configuration: testConfiguration(seed: 166)) { server in
                bound.continuation.yield(server.port)
                try await server.serve { connection in
                    for try await message in connection.messages { try await connection.send(message.bytes) }
                }
            }
        }
        var ports = bound.stream.makeAsyncIterator()
        let port = try #require(await ports.next())
        let client = try await withHangGuard("connect") {
            try await RUDPClient.connect(host: "127.0.0.1", port: port, configuration: testConfiguration(seed: 167))
        }
        try await withHangGuard("one echo") {
            try await client.send(Array("ping".utf8))
            var iterator = client.messages.makeAsyncIterator()
            _ = try await iterator.next()
        }
        task.cancel()
        try await withHangGuard("withServer returns after cancellation") { try await task.value }
        #expect(await UDPSocketTable.waitUntilUnbound(port: port), "the server's socket on port \(port) is still open")
        let reason = try await withHangGuard("the client sees the shutdown") { () -> CloseReason? in
            while await client.closeReason() == nil { try await Task.sleep(for: .milliseconds(10)) }
            return await client.closeReason()
        }
        #expect(reason == .peerClosed(.serverShutdown, "server shutting down"))
    }
}
