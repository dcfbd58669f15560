import ArgumentParser
import Logging
import Metrics
import RUDP
import Synchronization

/// `rudp echo-server`: Run the reliable echo server: answers each message M with 'Hello, M!'.
///
/// Serves any number of clients concurrently until SIGINT or SIGTERM, then shuts down cleanly
/// (clients see "the server shut down").
///
/// ```
/// rudp echo-server --port 9000
/// rudp echo-client --port 9000 Alice Bob    # in another terminal
/// ```
struct EchoServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo-server",
        abstract: "Run the reliable echo server: answers each message M with 'Hello, M!'.",
        discussion: """
            Serves any number of clients at once. Each reply goes back on the channel and with the \
            delivery mode of the message it answers. Runs until SIGINT (Ctrl-C) or SIGTERM, then \
            shuts down cleanly: connected clients are told the server shut down. Prints \
            'listening on HOST:PORT' on standard output once ready.

            Examples:
              rudp echo-server --port 9000
              rudp echo-server --host ::1 --port 9000 --log-level info
              rudp echo-server --port 0     # any free port, printed at start
              rudp echo-server --port 9000 --psk-file rudp.key    # encrypted
            """
    )

    @Option(help: ArgumentHelp("The local address to listen on (IPv4 or IPv6 literal, or a host name).", valueName: "host"))
    var host = "127.0.0.1"

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("The UDP port to listen on (0 picks a free port).", valueName: "port"),
        transform: HostPort.parseListeningPort
    )
    var port: Int

    @OptionGroup(title: "Security") var securityOptions: SecurityOptions
    @OptionGroup(title: "Limits") var limitOptions: ServerLimitOptions
    @OptionGroup var logOptions: LogOptions
    @OptionGroup var metricsOptions: MetricsOptions

    /// Packets the server's connections dropped for security reasons, summed as each connection
    /// ends (reported on exit when security is on).
    final class DroppedPacketTally: Sendable {
        private let counts = Mutex<(authenticationFailures: Int, replays: Int)>((0, 0))

        /// Adds one connection's counters.
        func add(_ statistics: ConnectionStatistics) {
            counts.withLock {
                $0.authenticationFailures += statistics.authenticationFailures
                $0.replays += statistics.replayedPacketsDropped
            }
        }

        /// The sums so far.
        var totals: (authenticationFailures: Int, replays: Int) { counts.withLock { $0 } }
    }

    /// What the message handlers share: the logger and the counters.
    final class EchoService: Sendable {
        let logger: Logger
        let dropped: DroppedPacketTally
        let messagesEchoed = Counter(label: "rudp_cli_echo_messages")
        let connectionsServed = Counter(label: "rudp_cli_echo_connections")

        init(logger: Logger, dropped: DroppedPacketTally) {
            self.logger = logger
            self.dropped = dropped
        }

        func connected(_ connection: RUDPConnection) {
            connectionsServed.increment()
            logger.info("client connected", metadata: ["peer": "\(connection.remoteAddress.displayText)", "connection": "\(connection.id)"])
        }

        func replyNotSent(_ error: RUDPError, on connection: RUDPConnection) {
            logger.warning("reply not sent: \(error)", metadata: ["peer": "\(connection.remoteAddress.displayText)"])
        }

        /// The connection ended (closed by the client, timed out, or the server shut down).
        func closed(_ connection: RUDPConnection) async {
            if let reason = await connection.closeReason(), !reason.isClean {
                logger.info("connection ended: \(reason)", metadata: ["peer": "\(connection.remoteAddress.displayText)"])
            } else {
                logger.info("client closed the connection", metadata: ["peer": "\(connection.remoteAddress.displayText)"])
            }
            dropped.add(await connection.statistics())
        }
    }

    /// Sends the reply to one message, on its channel and with its delivery mode.
    static func echo(_ message: ReceivedMessage, on connection: RUDPConnection, _ service: EchoService) async throws {
        do {
            try await connection.send(reply(to: message.bytes), channel: message.channel, mode: message.mode)
            service.messagesEchoed.increment()
        } catch let error as RUDPError where error.code == .messageTooLarge {
            service.replyNotSent(error, on: connection)
        }
    }

    /// The reply to a message: `Hello, <message as UTF-8>!`.
    static func reply(to message: [UInt8]) -> [UInt8] {
        Array("Hello, ".utf8) + message + Array("!".utf8)
    }

    func run() async throws {
        let logger = logOptions.makeLogger(label: "rudp.echo-server")
        metricsOptions.bootstrap()
        defer { metricsOptions.printIfRequested() }
        let security = try securityOptions.resolve()
        var configuration = RUDPConfiguration()
        configuration.logger = logger
        configuration.security = security?.configuration
        try limitOptions.apply(to: &configuration)
        let server = try await RUDPServer.bind(host: host, port: port, configuration: configuration)
        TerminationSignal.install { signal in
            TerminationSignal.writeMessage("rudp echo-server: \(TerminationSignal.name(signal)) received, shutting down\n")
            Task { await server.shutdown() }
        }
        Console.printLine("rudp echo-server listening on \(HostPort(host: host, port: server.port)) (Ctrl-C to stop)")
        if let security {
            Console.printLine("connections are \(security); clients need the same key and mode")
        }

        let dropped = DroppedPacketTally()
        let service = EchoService(logger: logger, dropped: dropped)
        // Message by message, not a task per connection: an idle client then costs the server
        // only its connection state.
        await server.serveMessages(accepted: service.connected, ended: service.closed) { connection, message in
            try await Self.echo(message, on: connection, service)
        }
        if security != nil {
            let statistics = await server.statistics()
            let totals = dropped.totals
            Console.printLine(
                "security: \(Format.count(statistics.handshakeAuthenticationFailures, "handshake")) failed authentication (another key, or forged), "
                    + "\(Format.count(statistics.securityMismatchesAnswered, "client")) without security or in another mode "
                    + "\(statistics.securityMismatchesAnswered == 1 ? "was" : "were") told so; "
                    + "on connections, \(Format.count(totals.authenticationFailures, "packet")) failed authentication (forged or corrupted) "
                    + "and \(Format.count(totals.replays, "replay")) \(totals.replays == 1 ? "was" : "were") dropped"
            )
        }
        Console.printLine("rudp echo-server stopped")
    }
}
