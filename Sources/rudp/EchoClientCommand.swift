import ArgumentParser
import Logging
import RUDP

/// `rudp echo-client`: Send names to an echo server and print each reply in order.
///
/// Sends every name at once (reliable, ordered), then prints the replies as they arrive; exits 0
/// once every reply came, non-zero with a clear message if the server is unreachable, goes away
/// or a reply does not come within `--timeout`.
///
/// ```
/// rudp echo-client --port 9000 Alice Bob
/// Hello, Alice!
/// Hello, Bob!
/// ```
struct EchoClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo-client",
        abstract: "Send names to an echo server and print each reply in order.",
        discussion: """
            Sends each NAME as one reliable, ordered message and prints each reply on its own line, \
            in order. Exits 0 once every reply arrived; exits 1 with a message if the server cannot \
            be reached, closes the connection, or no reply comes within --timeout seconds. If \
            nothing listens on the port (the host answers ICMP port unreachable), it says so at \
            once instead of waiting for --timeout.

            Examples:
              rudp echo-client --port 9000 Alice Bob
              rudp echo-client --host ::1 --port 9000 --timeout 3 Carol
              rudp echo-client --port 9000 --psk-file rudp.key Alice  # server's key
              rudp echo-client --port 9000 --connections 8 --repeat 2000 Alice Bob

            Load: with --connections or --repeat, each of the connections sends the names --repeat \
            times (sending and receiving at once), checks every reply, and instead of the replies \
            prints one line with their count, the time from the first connect to the last reply, \
            and the replies' megabytes per second (a multi-worker server's throughput).
            """
    )

    @Option(help: ArgumentHelp("The server's address (IPv4 or IPv6 literal, or a host name).", valueName: "host"))
    var host = "127.0.0.1"

    @Option(
        parsing: .unconditional, help: ArgumentHelp("The server's UDP port.", valueName: "port"), transform: { try HostPort.parsePort($0) })
    var port: Int

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Seconds to wait for the connection and for each reply before giving up.", valueName: "seconds"))
    var timeout: Double = 10

    @Argument(help: ArgumentHelp("The names to send; each gets a reply such as 'Hello, NAME!'.", valueName: "name"))
    var names: [String] = []

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Load: connections at once, each sending the names (1 to 1000; default 1).", valueName: "n"))
    var connections = 1

    @Option(
        name: .customLong("repeat"), parsing: .unconditional,
        help: ArgumentHelp("Load: times each connection sends the names (1 to 1000000; default 1).", valueName: "n"))
    var repetitions = 1

    @OptionGroup(title: "Security") var securityOptions: SecurityOptions
    @OptionGroup var logOptions: LogOptions
    @OptionGroup var metricsOptions: MetricsOptions

    func validate() throws {
        guard !names.isEmpty else {
            throw ValidationError("Give at least one NAME to send, for example: rudp echo-client --port 9000 Alice")
        }
        try OptionCheck.seconds(timeout, "--timeout")
        try OptionCheck.count(connections, "--connections", in: 1...1_000)
        try OptionCheck.count(repetitions, "--repeat", in: 1...1_000_000)
    }

    func run() async throws {
        let logger = logOptions.makeLogger(label: "rudp.echo-client")
        metricsOptions.bootstrap()
        defer { metricsOptions.printIfRequested() }
        let target = HostPort(host: host, port: port)
        let security = try securityOptions.resolve()
        var configuration = RUDPConfiguration.fromEnvironment()
        configuration.logger = logger
        configuration.security = security?.configuration
        configuration.connection.connectTimeout = OptionCheck.duration(seconds: timeout)
        // A port nobody listens on ends the attempt at once ("is the server running?").
        configuration.failsWhenPortUnreachable = true
        if connections > 1 || repetitions > 1 {
            try await runLoad(configuration: configuration, target: target)
            return
        }

        let watchdog = InactivityWatchdog(limit: timeout + 1, phase: "connecting to \(target)")
        watchdog.start()
        defer { watchdog.stop() }
        let connection: RUDPConnection
        do {
            connection = try await RUDPClient.connect(host: host, port: port, configuration: configuration)
        } catch {
            throw CLIError(
                "cannot connect to the echo server at \(target): \(error)\(SecurityOptions.connectHint(for: error, security: security))")
        }
        watchdog.setExpiryAction { await connection.abort() }
        watchdog.progress(phase: "waiting for the reply to '\(names[0])'")

        var repliesReceived = 0
        do {
            for name in names {
                try await connection.send(Array(name.utf8))
            }
            var replies = connection.messages.makeAsyncIterator()
            for (index, _) in names.enumerated() {
                guard let reply = try await replies.next() else {
                    throw CLIError("the server at \(target) closed the connection after \(repliesReceived) of \(names.count) replies")
                }
                repliesReceived += 1
                Console.printLine(String(decoding: reply.bytes, as: UTF8.self))
                if index + 1 < names.count {
                    watchdog.progress(phase: "waiting for the reply to '\(names[index + 1])'")
                }
            }
            watchdog.progress(phase: "closing the connection to \(target)")
            try await connection.close()
        } catch let error as CLIError {
            await connection.abort()
            throw error
        } catch {
            await connection.abort()
            if let timeout = watchdog.expiredError { throw timeout }
            throw CLIError("lost the connection to \(target) after \(repliesReceived) of \(names.count) replies: \(error)")
        }
    }

    /// `--connections`/`--repeat`: every connection sends the names `repetitions` times while it
    /// reads and checks the replies; prints the count, the time and the replies' throughput.
    private func runLoad(configuration: RUDPConfiguration, target: HostPort) async throws {
        // Buffers, compared and counted as they arrive: reading `ReceivedMessage.bytes` (or
        // sending an array) would copy every message of the load once more.
        let messages = names.map { ByteBuffer(string: $0) }
        let replies = messages.map { EchoServerCommand.reply(to: $0) }
        let perConnection = messages.count * repetitions
        let (host, port, repetitions, timeout) = (self.host, self.port, self.repetitions, self.timeout)
        let progress = LoadProgress()
        let started = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<connections {
                group.addTask {
                    let connection: RUDPConnection
                    do {
                        connection = try await RUDPClient.connect(host: host, port: port, configuration: configuration)
                    } catch {
                        throw CLIError("cannot connect to the echo server at \(target): \(error)")
                    }
                    do {
                        try await withThrowingTaskGroup(of: Void.self) { sides in
                            sides.addTask {
                                for _ in 0..<repetitions {
                                    for message in messages { try await connection.send(message) }
                                }
                            }
                            var iterator = connection.messages.makeAsyncIterator()
                            for index in 0..<perConnection {
                                guard let reply = try await iterator.next() else {
                                    throw CLIError("the server at \(target) closed a connection after \(index) of \(perConnection) replies")
                                }
                                guard reply.buffer == replies[index % replies.count] else {
                                    throw CLIError("reply \(index + 1) on a connection is not the echo of its message")
                                }
                                progress.add(reply.buffer.readableBytes)
                            }
                            try await sides.waitForAll()
                        }
                        try await connection.close()
                    } catch {
                        await connection.abort()
                        throw error
                    }
                }
            }
            group.addTask {
                // No reply for --timeout seconds: give up (the other tasks are cancelled).
                var last = -1
                while true {
                    try await Task.sleep(for: OptionCheck.duration(seconds: timeout))
                    let now = progress.replies
                    if now == last { throw CLIError.timedOut("waiting for replies from \(target) (\(now) so far)", after: timeout) }
                    last = now
                }
            }
            var finished = 0
            while finished < connections {
                try await group.next()
                finished += 1
            }
            group.cancelAll()
        }
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        let bytes = progress.bytes
        Console.printLine(
            "\(progress.replies) replies on \(Format.count(connections, "connection")) in \(Format.fixed(seconds, digits: 3)) s: "
                + "\(Format.fixed(Double(bytes) / seconds / 1e6, digits: 1)) MB/s of replies")
    }
}
