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

        let messagesEchoed = Counter(label: "rudp_cli_echo_messages")
        let connectionsServed = Counter(label: "rudp_cli_echo_connections")
        let dropped = DroppedPacketTally()
        try await server.serve { connection in
            connectionsServed.increment()
            let peer = "\(connection.remoteAddress.displayText)"
            logger.info("client connected", metadata: ["peer": "\(peer)", "connection": "\(connection.id)"])
            do {
                for try await message in connection.messages {
                    let reply = Self.reply(to: message.bytes)
                    do {
                        try await connection.send(reply, channel: message.channel, mode: message.mode)
                        messagesEchoed.increment()
                    } catch let error as RUDPError where error.code == .messageTooLarge {
                        logger.warning("reply not sent: \(error)", metadata: ["peer": "\(peer)"])
                    }
                }
                logger.info("client closed the connection", metadata: ["peer": "\(peer)"])
                dropped.add(await connection.statistics())
            } catch {
                logger.info("connection ended: \(error)", metadata: ["peer": "\(peer)"])
                dropped.add(await connection.statistics())
                throw error
            }
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
