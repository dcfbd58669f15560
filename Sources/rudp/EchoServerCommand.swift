import ArgumentParser
import Logging
import Metrics
import RUDP
import RUDPServiceLifecycle
import ServiceLifecycle
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

            With --workers N (2 to 16, Linux) the server runs N workers, each on its own \
            SO_REUSEPORT socket of the port: a BPF program makes the kernel deliver each \
            datagram to the worker whose index its connection ID carries, so a connection stays \
            on its worker even when the client's address or port changes; new clients are \
            spread over the workers by a hash of their address and port. The workers are \
            threads of this process, or with --processes child processes of it (one per \
            worker; this process holds the sockets, prints a line as each worker starts or \
            exits, and starts a new worker on the same socket when one exits, without \
            disturbing the other workers' connections). The limits below apply to each worker: \
            a server with N workers holds up to N times --max-connections connections.

            Examples:
              rudp echo-server --port 9000
              rudp echo-server --port 9000 --workers 4                # 4 threads
              rudp echo-server --port 9000 --workers 4 --processes    # 4 processes
              rudp echo-server --port 9000 --handlers-on-event-loop  # no thread hops
              rudp echo-server --host ::1 --port 9000 --log-level info
              rudp echo-server --port 0     # any free port, printed at start
              rudp echo-server --port 9000 --psk-file rudp.key    # encrypted
              rudp echo-server --port 9000 --metrics-port 9464   # GET /metrics

            PROMETHEUS. With --metrics-port, GET http://HOST:PORT/metrics (HOST: --metrics-host, \
            default 127.0.0.1) answers the metrics in Prometheus' text format. \(PrometheusOptions.metricNames)
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

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Workers, each with its own socket and event loop (1 to 16; default 1). Limits apply to each worker.", valueName: "n"))
    var workers = 1

    @Flag(help: "Run the workers as child processes instead of threads (with --workers).")
    var processes = false

    @Flag(
        help: ArgumentHelp(
            "Answer each message on the event loop that received it, without a thread hop (RUDPServer.serveMessages(handlersOnEventLoop:)).",
            discussion: "The echo is short and never blocks, so it may run on the loop; by default it runs on Swift's global executor."))
    var handlersOnEventLoop = false

    /// Internal (worker processes of --processes): serve the inherited, bound socket on this descriptor.
    @Option(help: ArgumentHelp("Internal: serve the bound socket inherited on this descriptor (a worker process).", visibility: .private))
    var workerFd: Int32?

    /// Internal: the worker index of --worker-fd.
    @Option(help: ArgumentHelp("Internal: the worker index of --worker-fd (0 to 15).", visibility: .private))
    var workerIndex: Int?

    @OptionGroup(title: "Security") var securityOptions: SecurityOptions
    @OptionGroup(title: "Limits") var limitOptions: ServerLimitOptions
    @OptionGroup var logOptions: LogOptions
    @OptionGroup var metricsOptions: MetricsOptions
    @OptionGroup(title: "Prometheus") var prometheusOptions: PrometheusOptions

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
            logger.info(
                "client connected", metadata: ["peer": "\(connection.remoteAddress.displayText)", "connection": "\(connection.id)"])
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
            try await connection.send(reply(to: message.buffer), channel: message.channel, mode: message.mode)
            service.messagesEchoed.increment()
        } catch let error as RUDPError where error.code == .messageTooLarge {
            service.replyNotSent(error, on: connection)
        }
    }

    /// The reply to a message: `Hello, <message as UTF-8>!`.
    static func reply(to message: [UInt8]) -> [UInt8] {
        Array("Hello, ".utf8) + message + Array("!".utf8)
    }

    /// ``reply(to:)-([UInt8])`` in a new buffer, the message's bytes copied once, into it.
    static func reply(to message: ByteBuffer) -> ByteBuffer {
        var reply = ByteBufferAllocator().buffer(capacity: message.readableBytes + 8)
        reply.writeString("Hello, ")
        reply.writeImmutableBuffer(message)
        reply.writeString("!")
        return reply
    }

    func validate() throws {
        try OptionCheck.count(workers, "--workers", in: 1...RUDPWorkerSockets.maximumCount)
        if processes && workers < 2 { throw ValidationError("--processes needs --workers 2 or more") }
        if processes && prometheusOptions.metricsPort != nil {
            throw ValidationError("--metrics-port serves one process's metrics; it does not go with --processes")
        }
        if (workerFd == nil) != (workerIndex == nil) { throw ValidationError("--worker-fd and --worker-index go together") }
        if let workerIndex { try OptionCheck.count(workerIndex, "--worker-index", in: 0...RUDPWorkerSockets.maximumCount - 1) }
        if workerFd != nil && (processes || workers != 1) {
            throw ValidationError("--worker-fd is for a worker process, without --workers or --processes")
        }
    }

    func run() async throws {
        if processes {
            try await runWorkerProcesses()
            return
        }
        let logger = logOptions.makeLogger(label: workerIndex.map { "rudp.echo-server.worker\($0)" } ?? "rudp.echo-server")
        let exporter = prometheusOptions.bootstrap()
        defer { metricsOptions.printIfRequested() }
        let security = try securityOptions.resolve()
        var configuration = RUDPConfiguration.fromEnvironment()
        configuration.logger = logger
        configuration.security = security?.configuration
        try limitOptions.apply(to: &configuration)
        let server: RUDPServer
        if let workerFd, let workerIndex {
            server = try await RUDPServer.bind(workerSocket: workerFd, workerIndex: workerIndex, configuration: configuration)
            ParentWatch.start { Task { await server.shutdown() } }
        } else {
            server = try await RUDPServer.bind(host: host, port: port, configuration: configuration, workers: workers)
        }
        let endpoint: PrometheusEndpoint?
        do {
            endpoint = try await exporter?.start()
        } catch {
            await server.shutdown()
            throw error
        }

        let dropped = DroppedPacketTally()
        let service = EchoService(logger: logger, dropped: dropped)
        // Message by message, not a task per connection: an idle client then costs the server
        // only its connection state.
        let serving = server.messageService(
            handlersOnEventLoop: handlersOnEventLoop, accepted: service.connected, ended: service.closed
        ) { connection, message in
            try await Self.echo(message, on: connection, service)
        }
        let isWorkerProcess = workerFd != nil
        let workers = self.workers, host = self.host
        // SIGINT and SIGTERM start a graceful shutdown: connected clients get CLOSE(serverShutdown),
        // the sockets close, then the command returns (status 0). The group traps the signals
        // before any service starts, so the "listening" line is printed only once a signal
        // would be handled.
        let announcedServer = ClosureService {
            if !isWorkerProcess {
                Console.printLine(
                    "rudp echo-server listening on \(HostPort(host: host, port: server.port))"
                        + (workers > 1 ? " with \(workers) worker threads" : "") + " (Ctrl-C to stop)")
                if let security {
                    Console.printLine("connections are \(security); clients need the same key and mode")
                }
                if let endpoint { Console.printLine("metrics on \(endpoint.url)") }
            }
            try await withGracefulShutdownHandler {
                try await serving.run()
            } onGracefulShutdown: {
                if !isWorkerProcess { TerminationSignal.writeMessage("rudp echo-server: shutting down\n") }
            }
        }
        // Shut down in reverse order: the server first, the metrics endpoint last. A server
        // that ends by itself (a worker process whose parent went away) shuts the group down.
        let services: [ServiceGroupConfiguration.ServiceConfiguration] =
            (endpoint.map { [.init(service: $0)] } ?? [])
            + [.init(service: announcedServer, successTerminationBehavior: .gracefullyShutdownGroup)]
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        if isWorkerProcess { return }  // a worker process: its parent reports
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

    /// `--workers N --processes`: binds the N sockets here and runs a child `rudp echo-server
    /// --worker-fd 3 --worker-index i` per worker, restarted on the same socket when it exits.
    private func runWorkerProcesses() async throws {
        _ = try securityOptions.resolve()  // a bad key fails here, once, not in every child
        let sockets = try await RUDPWorkerSockets.bind(host: host, port: port, count: workers)
        let childArguments = Self.workerArguments(from: Array(CommandLine.arguments.dropFirst()))
        let supervisor = try WorkerProcessSupervisor(
            sockets: sockets,
            arguments: { index in
                childArguments + ["--worker-fd", "\(WorkerProcessSupervisor.childSocketDescriptor)", "--worker-index", "\(index)"]
            }, report: { Console.printLine("rudp echo-server: \($0)") })
        let workers = self.workers, host = self.host
        // SIGINT and SIGTERM stop the workers (each gets SIGTERM and shuts down cleanly).
        let supervising = ClosureService {
            Console.printLine(
                "rudp echo-server listening on \(HostPort(host: host, port: sockets.port)) with \(workers) worker processes (Ctrl-C to stop)"
            )
            supervisor.start()
            await withGracefulShutdownHandler {
                await supervisor.waitUntilStopped()
            } onGracefulShutdown: {
                TerminationSignal.writeMessage("rudp echo-server: stopping the workers\n")
                supervisor.stop()
            }
        }
        let logger = logOptions.makeLogger(label: "rudp.echo-server")
        try await ServiceGroup(services: [supervising], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger).run()
        sockets.close()
        Console.printLine("rudp echo-server stopped")
    }

    /// The parent's arguments for a worker process: without `--workers`/`--processes` (and
    /// `--port 0` stays harmless: a worker serves its inherited socket and binds nothing).
    static func workerArguments(from arguments: [String]) -> [String] {
        var result: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--processes" || argument.hasPrefix("--workers=") { continue }
            if argument == "--workers" {
                index += 1  // and its value
                continue
            }
            result.append(argument)
        }
        return result
    }
}
