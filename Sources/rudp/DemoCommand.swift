import ArgumentParser
import Logging
@_spi(Testing) import RUDP
import Synchronization

/// `rudp demo`: Show reliability at work over a lossy path, with no arguments needed.
///
/// Starts an echo server and a client in this process over loopback UDP, both dropping about 20%
/// of the datagrams they receive (seeded), sends 20 messages one after the other and shows for
/// each what the transport did; ends with a summary proving every message arrived exactly once
/// and in order.
///
/// ```
/// swift run -c release rudp demo
/// ```
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Show reliability at work over a lossy path, with no arguments needed.",
        discussion: """
            Runs an echo server and a client in this process, over real loopback UDP sockets. Both \
            drop --loss of the datagrams they receive, chosen by a generator seeded with --seed. The \
            client sends --messages messages one after the other; for each, the table shows the \
            reply and what the transport did in each direction: datagrams sent, packets it declared \
            lost, and message fragments it retransmitted. The summary checks that the server got \
            every message exactly once and in order, and so did the client with the replies; the \
            exit status is 0 only then. Takes a few seconds.

            With --psk-file PATH (or RUDP_PSK) both endpoints protect every packet with that key \
            (encrypted unless --security authenticated), and the summary says so.

            Examples:
              rudp demo
              rudp demo --loss 0.4 --messages 30 --seed 3
              rudp keygen --output demo.key && rudp demo --psk-file demo.key
            """
    )

    @Option(parsing: .unconditional, help: ArgumentHelp("How many messages the client sends.", valueName: "count"))
    var messages = 20

    @Option(
        parsing: .unconditional, help: ArgumentHelp("The fraction of received datagrams each side drops (0 to 0.9).", valueName: "fraction")
    )
    var loss = 0.2

    @Option(
        parsing: .unconditional, help: ArgumentHelp("The seed of the loss generators (server: seed, client: seed + 1).", valueName: "seed"))
    var seed: UInt64 = 7

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Give up (exit 1) if the demo takes longer than this many seconds.", valueName: "seconds"))
    var timeout: Double = 60

    @OptionGroup(title: "Security") var securityOptions: SecurityOptions
    @OptionGroup var logOptions: LogOptions
    @OptionGroup var metricsOptions: MetricsOptions

    func validate() throws {
        try OptionCheck.count(messages, "--messages", in: 1...10_000)
        try OptionCheck.number(loss, "--loss", in: 0...0.9, unit: "fraction")
        try OptionCheck.seconds(timeout, "--timeout")
    }

    /// What the server side saw: its connection and the messages in arrival order.
    final class ServerRecord: Sendable {
        private let state = Mutex<(connection: RUDPConnection?, received: [String])>((nil, []))

        func attach(_ connection: RUDPConnection) { state.withLock { $0.connection = connection } }
        func record(_ text: String) { state.withLock { $0.received.append(text) } }
        var connection: RUDPConnection? { state.withLock { $0.connection } }
        var received: [String] { state.withLock { $0.received } }
    }

    func run() async throws {
        let logger = logOptions.makeLogger(label: "rudp.demo")
        metricsOptions.bootstrap()
        defer { metricsOptions.printIfRequested() }

        let security = try securityOptions.resolve()
        var serverConfiguration = RUDPConfiguration.fromEnvironment()
        serverConfiguration.logger = logger
        serverConfiguration.security = security?.configuration
        serverConfiguration.receiveLoss = loss
        serverConfiguration.lossSeed = seed
        var clientConfiguration = serverConfiguration
        clientConfiguration.lossSeed = seed &+ 1

        let server = try await RUDPServer.bind(host: "127.0.0.1", port: 0, configuration: serverConfiguration)
        let record = ServerRecord()
        let serving = Task {
            try await server.serve { connection in
                record.attach(connection)
                for try await message in connection.messages {
                    record.record(String(buffer: message.buffer))
                    try await connection.send(EchoServerCommand.reply(to: message.buffer))
                }
            }
        }
        let watchdog = InactivityWatchdog(limit: timeout, phase: "running the demo")
        watchdog.setExpiryAction { await server.shutdown() }
        watchdog.start()
        defer { watchdog.stop() }

        Console.printLine(
            """
            rudp demo: an echo server and a client in this process, over loopback UDP (port \(server.port)).
            Each side drops \(Format.fixed(loss * 100, digits: 0))% of the datagrams it receives (seeded: server \(seed), client \(seed &+ 1)).
            The client sends \(messages) messages one after the other, reliable and ordered.
            Security: \(security.map { "\($0) on both endpoints" } ?? "none (plain packets; give --psk-file PATH or set RUDP_PSK to protect them)").

            """)
        let started = ContinuousClock.now
        let client: RUDPConnection
        do {
            client = try await RUDPClient.connect(host: "127.0.0.1", port: server.port, configuration: clientConfiguration)
        } catch {
            await server.shutdown()
            throw watchdog.expiredError ?? CLIError("the demo client could not connect: \(error)")
        }
        watchdog.setExpiryAction {
            await client.abort()
            await server.shutdown()
        }
        Console.printLine(
            "connected after \(Format.milliseconds(nanoseconds: (ContinuousClock.now - started).nanosecondsClamped)) ms (the handshake is retried if lost)\n"
        )
        Console.printLine(Self.row("#", "request", "reply", "time ms", "client->server sent/lost/retx", "server->client sent/lost/retx"))

        var replies: [String] = []
        var previousClient = await client.statistics()
        var previousServer = ConnectionStatistics()
        do {
            var iterator = client.messages.makeAsyncIterator()
            for index in 1...messages {
                let text = "message \(index)"
                let sentAt = ContinuousClock.now
                try await client.send(Array(text.utf8))
                guard let reply = try await iterator.next() else {
                    throw CLIError("the server closed the connection after \(replies.count) replies")
                }
                let elapsed = (ContinuousClock.now - sentAt).nanosecondsClamped
                watchdog.progress()
                let replyText = String(decoding: reply.bytes, as: UTF8.self)
                replies.append(replyText)
                let clientStatistics = await client.statistics()
                let serverStatistics = await record.connection?.statistics() ?? previousServer
                Console.printLine(
                    Self.row(
                        "\(index)", text, replyText, Format.milliseconds(nanoseconds: elapsed),
                        Self.delta(clientStatistics, previousClient), Self.delta(serverStatistics, previousServer)
                    ))
                previousClient = clientStatistics
                previousServer = serverStatistics
            }
            try await client.waitUntilAllAcknowledged()
        } catch {
            await client.abort()
            await server.shutdown()
            throw watchdog.expiredError ?? (error as? CLIError) ?? CLIError("the demo connection failed: \(error)")
        }
        let totalNanoseconds = (ContinuousClock.now - started).nanosecondsClamped
        let clientStatistics = await client.statistics()
        let serverStatistics = await record.connection?.statistics() ?? previousServer
        let serverDrops = await server.injectedLosses()
        let clientDrops = await client.endpointInjectedLosses()
        try? await client.close()
        await server.shutdown()
        _ = try? await serving.value

        let sent = (1...messages).map { "message \($0)" }
        let serverReceived = record.received
        let expectedReplies = sent.map { "Hello, \($0)!" }
        Console.printLine("")
        Console.printLine("Summary after \(Format.milliseconds(nanoseconds: totalNanoseconds)) ms:")
        Console.printLine(
            "  client -> server: \(clientStatistics.packetsSent) datagrams sent, \(clientStatistics.packetsLost) declared lost, \(clientStatistics.fragmentsRetransmitted) fragments retransmitted, \(clientStatistics.retransmissionTimeouts) retransmission timeouts"
        )
        Console.printLine(
            "  server -> client: \(serverStatistics.packetsSent) datagrams sent, \(serverStatistics.packetsLost) declared lost, \(serverStatistics.fragmentsRetransmitted) fragments retransmitted, \(serverStatistics.retransmissionTimeouts) retransmission timeouts"
        )
        Console.printLine(
            "  injected loss: the server dropped \(serverDrops) and the client \(clientDrops) received datagrams; duplicates discarded: server \(serverStatistics.duplicatePacketsDropped), client \(clientStatistics.duplicatePacketsDropped)"
        )
        Console.printLine(
            "  smoothed RTT: client \(Format.milliseconds(nanoseconds: clientStatistics.smoothedRTT)) ms, server \(Format.milliseconds(nanoseconds: serverStatistics.smoothedRTT)) ms"
        )
        if let security {
            Console.printLine(
                "  security: \(SecurityOptions.describe(security.configuration.mode)); packets verified: server \(serverStatistics.packetsReceived), client \(clientStatistics.packetsReceived); "
                    + "forged or corrupted dropped: server \(serverStatistics.authenticationFailures), client \(clientStatistics.authenticationFailures); "
                    + "replays dropped: server \(serverStatistics.replayedPacketsDropped), client \(clientStatistics.replayedPacketsDropped)"
            )
        } else {
            Console.printLine("  security: none (plain packets with a CRC-32C trailer; --psk-file PATH protects them)")
        }
        guard serverReceived == sent else {
            throw CLIError(
                "the server received \(serverReceived.count) messages, not exactly the \(messages) sent in order: \(serverReceived)")
        }
        guard replies == expectedReplies else {
            throw CLIError("the client received \(replies.count) replies, not exactly the \(messages) expected in order: \(replies)")
        }
        Console.printLine(
            "OK: all \(messages) messages reached the server exactly once and in order, and all \(messages) replies came back exactly once and in order, despite the loss."
        )
    }

    /// One table row with fixed-width columns.
    private static func row(_ number: String, _ request: String, _ reply: String, _ time: String, _ up: String, _ down: String) -> String {
        func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
            let padding = String(repeating: " ", count: max(0, width - text.count))
            return right ? padding + text : text + padding
        }
        return pad(number, 4, right: true) + "  " + pad(request, 13) + pad(reply, 22) + pad(time, 9, right: true) + "   " + pad(up, 31)
            + down
    }

    /// `sent/lost/retransmitted` since the previous snapshot.
    private static func delta(_ now: ConnectionStatistics, _ before: ConnectionStatistics) -> String {
        "\(now.packetsSent - before.packetsSent)/\(now.packetsLost - before.packetsLost)/\(now.fragmentsRetransmitted - before.fragmentsRetransmitted)"
    }
}
