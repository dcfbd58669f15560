import NIOCore
import NIOPosix
import Testing

@testable import RUDP

/// `handlersOnEventLoop` and `RUDPConnection.taskExecutor`: handlers run on the event loop of
/// their connection's engine (so messages and replies cross no thread), and only when asked.
@Suite("Handlers on the event loop")
struct EventLoopHandlerTests {
    /// Where a handler ran: "engine loop" (its connection's), "other loop", or "global executor".
    static func placement(of connection: RUDPConnection) -> String {
        if connection.driver.eventLoop.inEventLoop { return "engine loop" }
        return MultiThreadedEventLoopGroup.currentEventLoop == nil ? "global executor" : "other loop"
    }

    /// Echoes what each handler invocation reports about where it runs, for `messages` messages.
    static func placements(serveMessages: Bool, onEventLoop: Bool, workers: Int, messages: Int) async throws -> [String] {
        let server = try await RUDPServer.bind(host: "127.0.0.1", port: 0, configuration: testConfiguration(seed: 60), workers: workers)
        let serving = Task {
            if serveMessages {
                await server.serveMessages(handlersOnEventLoop: onEventLoop) { connection, message in
                    try await connection.send(ByteBuffer(string: "\(String(buffer: message.buffer)) \(placement(of: connection))"))
                }
            } else {
                try await server.serve(handlersOnEventLoop: onEventLoop) { connection in
                    for try await message in connection.messages {
                        try await connection.send(ByteBuffer(string: "\(String(buffer: message.buffer)) \(placement(of: connection))"))
                    }
                }
            }
        }
        defer { serving.cancel() }
        let replies = try await withHangGuard("echo \(messages) messages on 4 connections") {
            try await withThrowingTaskGroup(of: [String].self) { group in
                for client in 0..<4 {
                    group.addTask {
                        let connection = try await RUDPClient.connect(
                            host: "127.0.0.1", port: server.port, configuration: testConfiguration(seed: 61 + UInt64(client)))
                        for n in 0..<messages { try await connection.send(ByteBuffer(string: "\(client).\(n)")) }
                        var replies: [String] = []
                        for try await reply in connection.messages {
                            replies.append(String(buffer: reply.buffer))
                            if replies.count == messages { break }
                        }
                        try await connection.close()
                        // In order, each answered once.
                        #expect(replies.map { $0.split(separator: " ")[0] } == (0..<messages).map { Substring("\(client).\($0)") })
                        return replies.map { String($0.split(separator: " ", maxSplits: 1)[1]) }
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
        }
        await server.shutdown()
        try await withHangGuard("the server's serve returns") { _ = await serving.result }
        return replies
    }

    @Test("serve(handlersOnEventLoop: true) runs every handler on its connection's engine loop", arguments: [1, 2])
    func serveOnTheLoop(workers: Int) async throws {
        let placements = try await Self.placements(serveMessages: false, onEventLoop: true, workers: workers, messages: 200)
        #expect(placements.count == 800)
        #expect(Set(placements) == ["engine loop"])
    }

    @Test("serveMessages(handlersOnEventLoop: true) runs every handler on its connection's engine loop", arguments: [1, 2])
    func serveMessagesOnTheLoop(workers: Int) async throws {
        let placements = try await Self.placements(serveMessages: true, onEventLoop: true, workers: workers, messages: 200)
        #expect(placements.count == 800)
        #expect(Set(placements) == ["engine loop"])
    }

    @Test("By default handlers run on the global executor, off the event loops")
    func defaultIsTheGlobalExecutor() async throws {
        let served = try await Self.placements(serveMessages: false, onEventLoop: false, workers: 1, messages: 50)
        let dispatched = try await Self.placements(serveMessages: true, onEventLoop: false, workers: 1, messages: 50)
        #expect(Set(served + dispatched) == ["global executor"])
    }

    @Test("A client task that prefers the connection's taskExecutor reads and sends on the engine's loop")
    func clientTaskOnTheLoop() async throws {
        let server = try await RUDPServer.bind(host: "127.0.0.1", port: 0, configuration: testConfiguration(seed: 70))
        let serving = startEchoServer(server)
        defer { serving.cancel() }
        let connection = try await RUDPClient.connect(host: "127.0.0.1", port: server.port, configuration: testConfiguration(seed: 71))
        let result = try await withHangGuard("a client echo on the loop") {
            try await Task(executorPreference: connection.taskExecutor) {
                var onLoop = connection.driver.eventLoop.inEventLoop
                var echoed = 0
                for n in 0..<100 {
                    try await connection.send(ByteBuffer(string: "\(n)"))
                    onLoop = onLoop && connection.driver.eventLoop.inEventLoop
                }
                for try await reply in connection.messages {
                    onLoop = onLoop && connection.driver.eventLoop.inEventLoop
                    #expect(String(buffer: reply.buffer) == "\(echoed)")
                    echoed += 1
                    if echoed == 100 { break }
                }
                return (onLoop, echoed)
            }.value
        }
        #expect(result.0, "the task left the connection's event loop")
        #expect(result.1 == 100)
        try await connection.close()
        await server.shutdown()
    }
}
