import ArgumentParser
import Foundation
import Logging
import NIOCore
import RUDPImpairment
import RUDPProxy
import RUDPServiceLifecycle
import ServiceLifecycle

/// `rudp proxy`: Relay UDP between clients and an upstream, injecting loss, delay and more.
///
/// ```
/// rudp proxy --listen 127.0.0.1:9001 --upstream 127.0.0.1:9000 --loss 10% --delay down:30ms \
///            --stats-interval 1 --control-port 9100
/// echo "partition 5" | nc -q1 127.0.0.1 9100
/// echo "rebind" | nc -q1 127.0.0.1 9100      # every flow gets a new upstream port (NAT rebinding)
/// ```
struct ProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy",
        abstract: "Relay UDP between clients and an upstream, injecting loss, delay and more.",
        discussion: """
            Each client address gets its own upstream socket (as a NAT would); flows idle for \
            --idle-timeout are closed, and at most --max-flows are open at once.

            DIRECTIONS. Every impairment applies to both directions unless prefixed: \
            `--loss 10%` (both), `--loss up:20% --loss down:5%` (each; repeat the option). \
            "up" is client to upstream, "down" upstream to client.

            VALUES, as tc-netem writes them (the same in `rudp simulate`). Probabilities: 10% \
            or 0.1. Times need a unit: 500us, 20ms, 1s (a bare number such as 20 is refused; \
            only 0 may go without). Rates: 100kbit, 10mbit, 1gbit (bits/s) or 2MB/s, 64KiB/s \
            (bytes/s), or off; kbps/mbps are refused as ambiguous. Sizes: 65536, 64KiB, 100KB. \
            Bursty loss: --burst P,R[,1-H[,1-K]], tc-netem's gemodel (P good to bad, R bad to \
            good, 1-H loss in the bad state, 1-K in the good one). Stages, in order: mtu, partition, \
            rate queue (tail drop), burst loss, loss, corruption, delay + jitter (jitter never \
            reorders) or reordering hold-back, duplication. The same --seed and the same \
            sequence of datagrams give the same decisions.

            CONTROL. With --control-port, a TCP port on 127.0.0.1 takes one command per line and \
            answers one line: `set NAME=[up:|down:]VALUE ...` (names as the options, e.g. \
            `set loss=30% delay=down:50ms`), `clear`, `reset`, `partition SECONDS [up|down|both]`, \
            `heal`, `rebind [IP:PORT]`, `stats` (JSON), `show`, `help`, `quit`. `rebind` gives \
            the flow of the client at IP:PORT (default: every flow) a new upstream socket, so \
            the upstream sees the client move to a new source port, as after a NAT rebinding \
            (replies to the old port are lost; the `rebound` counter of `stats` counts each new \
            socket once open). Example: `echo "partition 10" | nc -q1 127.0.0.1 PORT`.

            OUTPUT. Standard output gets a first line with the addresses, then the counters \
            every --stats-interval seconds and once more on exit (SIGINT, SIGTERM or \
            --duration); with --json each is one JSON object per line: \
            {"event":"listening",...}, {"event":"stats","statistics":{...}}, \
            {"event":"final","statistics":{...}}. Faults (unreachable upstream, full queues and \
            tables) are counted and logged to standard error.

            Examples:
              rudp proxy --listen 127.0.0.1:9001 --upstream 127.0.0.1:9000 --loss 10%
              rudp proxy --listen 127.0.0.1:9001 --upstream [::1]:9000 --delay up:30ms
              rudp proxy --listen 127.0.0.1:0 --upstream [::1]:9000 --rate 10mbit
              rudp proxy --listen 127.0.0.1:0 --upstream [::1]:9000 --burst 1%,30%
              rudp proxy --listen 127.0.0.1:0 --upstream 127.0.0.1:9000 --control-port 0
              rudp proxy --listen 127.0.0.1:9001 --upstream 127.0.0.1:9000 \\
                         --metrics-port 9465

            PROMETHEUS. With --metrics-port, GET http://HOST:PORT/metrics (HOST: --metrics-host, \
            default 127.0.0.1) answers the proxy's counters in Prometheus' text format: \
            rudp_proxy_datagrams_received, _bytes_received, _datagrams_forwarded, \
            _bytes_forwarded, _datagrams_duplicated, _datagrams_reordered, _datagrams_corrupted \
            (direction="up" or "down"), rudp_proxy_datagrams_dropped (also reason="loss", \
            "burst", "queue_full", "partition", "mtu", "delay_line_full", "flow_limit", \
            "send_failed"), rudp_proxy_flows_opened, _expired, _refused, _rebound (counters) and \
            rudp_proxy_flows_open (gauge).
            """
    )

    @Option(
        help: ArgumentHelp(
            "Where clients send: HOST:PORT (port 0 picks one; see the first output line).",
            valueName: "host:port"))
    var listen: String

    @Option(help: ArgumentHelp("The server datagrams are relayed to: HOST:PORT.", valueName: "host:port"))
    var upstream: String

    @Option(
        parsing: .unconditionalSingleValue, help: ArgumentHelp("Uniform loss probability: 1% or 0.01.", valueName: "[dir:]p"),
        transform: ImpairmentArgument.directed("loss"))
    var loss: [Directed<ImpairmentProbability>] = []

    @Option(
        parsing: .unconditionalSingleValue,
        help: ArgumentHelp(
            "Gilbert-Elliott bursty loss as tc-netem's gemodel: P (good to bad), R (bad to good), 1-H (loss in bad, default 100%), 1-K (loss in good, default 0%); e.g. 1%,30%.",
            valueName: "[dir:]P,R[,1-H[,1-K]]"), transform: ImpairmentArgument.directed("burst"))
    var burst: [Directed<ImpairmentBurst>] = []

    @Option(
        parsing: .unconditionalSingleValue, help: ArgumentHelp("Duplication probability.", valueName: "[dir:]p"),
        transform: ImpairmentArgument.directed("duplicate"))
    var duplicate: [Directed<ImpairmentProbability>] = []

    @Option(
        parsing: .unconditionalSingleValue,
        help: ArgumentHelp(
            "Probability that a datagram is held back so that later ones overtake it.",
            valueName: "[dir:]p"), transform: ImpairmentArgument.directed("reorder"))
    var reorder: [Directed<ImpairmentProbability>] = []

    @Option(
        parsing: .unconditionalSingleValue,
        help: ArgumentHelp(
            "Slack of the reordering hold-back, which is at most 2 x delay + this (default 5ms).",
            valueName: "[dir:]time"), transform: ImpairmentArgument.directed("reorder-delay"))
    var reorderDelay: [Directed<ImpairmentTime>] = []

    @Option(
        parsing: .unconditionalSingleValue,
        help: ArgumentHelp("Probability that 1 to 3 bits of a datagram are flipped.", valueName: "[dir:]p"),
        transform: ImpairmentArgument.directed("corrupt"))
    var corrupt: [Directed<ImpairmentProbability>] = []

    @Option(
        parsing: .unconditionalSingleValue,
        help: ArgumentHelp("Fixed one-way delay, with a unit: 20ms, 500us, 1s.", valueName: "[dir:]time"),
        transform: ImpairmentArgument.directed("delay"))
    var delay: [Directed<ImpairmentTime>] = []

    @Option(
        parsing: .unconditionalSingleValue,
        help: ArgumentHelp("Uniform extra delay 0 ... jitter, with a unit: 5ms.", valueName: "[dir:]time"),
        transform: ImpairmentArgument.directed("jitter"))
    var jitter: [Directed<ImpairmentTime>] = []

    @Option(
        parsing: .unconditionalSingleValue,
        help: ArgumentHelp(
            "Bandwidth limit, with a bounded queue in front (see --queue): 100kbit, 10mbit, 1gbit, 2MB/s, or off.",
            valueName: "[dir:]rate"), transform: ImpairmentArgument.directed("rate"))
    var rate: [Directed<ImpairmentRate>] = []

    @Option(
        parsing: .unconditionalSingleValue,
        help: ArgumentHelp(
            "Bytes the queue in front of --rate holds; more are tail-dropped (default 64KiB).",
            valueName: "[dir:]size"), transform: ImpairmentArgument.directed("queue"))
    var queue: [Directed<ImpairmentSize>] = []

    @Option(
        parsing: .unconditionalSingleValue,
        help: ArgumentHelp("Drop datagrams whose UDP payload is larger than this many bytes (or off).", valueName: "[dir:]bytes"),
        transform: ImpairmentArgument.directed("mtu"))
    var mtu: [Directed<ImpairmentSize>] = []

    @Option(parsing: .unconditional, help: "Seed of every random decision.")
    var seed: UInt64 = 1

    @Option(parsing: .unconditional, help: ArgumentHelp("Seconds without traffic after which a flow is closed.", valueName: "seconds"))
    var idleTimeout: Double = 60

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "The most flows (client addresses) open at once, 1 to 1000000; new clients beyond are dropped and counted.", valueName: "count")
    )
    var maxFlows: Int = 1024

    @Option(
        parsing: .unconditional, help: ArgumentHelp("Print the counters every this many seconds (0: only on exit).", valueName: "seconds"))
    var statsInterval: Double = 0

    @Flag(help: "Print the addresses and counters as JSON lines.")
    var json = false

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Accept control commands on this TCP port on 127.0.0.1 (0 picks one).",
            valueName: "port"))
    var controlPort: Int?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Exit after this many seconds (default: run until SIGINT or SIGTERM).",
            valueName: "seconds"))
    var duration: Double?

    @OptionGroup(title: "Prometheus") var prometheusOptions: PrometheusOptions

    @Option(
        help: ArgumentHelp(
            "Lowest level of log messages on standard error: trace, debug, info, notice, warning, error, critical.",
            valueName: "level"))
    var logLevel: String = "warning"

    func validate() throws {
        try OptionCheck.seconds(idleTimeout, "--idle-timeout")
        try OptionCheck.count(maxFlows, "--max-flows", in: 1...1_000_000)
        try OptionCheck.number(
            statsInterval, "--stats-interval", in: 0.01...OptionCheck.secondsRange.upperBound, orZero: true, unit: "seconds")
        if let duration { try OptionCheck.seconds(duration, "--duration") }
        if let controlPort { try OptionCheck.count(controlPort, "--control-port", in: 0...65_535) }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        _ = try impairments()
    }

    /// The impairments from the options, in the order the settings are listed.
    func impairments() throws -> ProxyImpairments {
        var impairments = ProxyImpairments.none
        // Each value was parsed by its option; its description is the same value in the
        // vocabulary ImpairmentSetting reads (the control port's).
        let settings: [(ImpairmentSetting, [String])] = [
            (.loss, loss.map(\.description)), (.burst, burst.map(\.description)),
            (.duplicate, duplicate.map(\.description)), (.reorder, reorder.map(\.description)),
            (.reorderDelay, reorderDelay.map(\.description)), (.corrupt, corrupt.map(\.description)),
            (.delay, delay.map(\.description)), (.jitter, jitter.map(\.description)),
            (.rate, rate.map(\.description)), (.queue, queue.map(\.description)), (.mtu, mtu.map(\.description)),
        ]
        do {
            for (setting, values) in settings {
                for value in values {
                    try setting.apply(value, to: &impairments)
                }
            }
        } catch {
            throw ValidationError("\(error)")
        }
        return impairments
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "rudp.proxy")
        logger.logLevel = level

        let listenAddress: SocketAddress
        let upstreamAddress: SocketAddress
        do {
            listenAddress = try ProxyAddress.resolve(listen, allowPortZero: true)
            upstreamAddress = try ProxyAddress.resolve(upstream)
        } catch {
            throw ValidationError("\(error)")
        }
        let configuration = ProxyConfiguration(
            impairments: try impairments(),
            seed: seed,
            idleTimeout: OptionCheck.duration(seconds: idleTimeout),
            maximumFlows: maxFlows,
            logger: logger)

        let exporter = prometheusOptions.bootstrap()
        let proxy = try await UDPProxy.start(
            listen: listenAddress, upstream: upstreamAddress,
            configuration: configuration)
        var started: ProxyControlServer?
        let endpoint: PrometheusEndpoint?
        do {
            if let controlPort {
                started = try await ProxyControlServer.start(proxy: proxy, port: controlPort)
            }
            if let exporter {
                let metrics = ProxyMetrics()
                endpoint = try await exporter.start { metrics.update(await proxy.statistics()) }
            } else {
                endpoint = nil
            }
        } catch {
            await started?.shutdown()
            await proxy.shutdown()
            throw error
        }
        let control = started

        // SIGINT, SIGTERM and --duration start a graceful shutdown, which the group delivers to
        // the services in reverse order: the timers, the metrics endpoint, the control port,
        // then the proxy. The signals are trapped before any service starts, so the first
        // output line appears only once a signal would be handled.
        let impairments = configuration.impairments
        let relaying = ClosureService { [self] in
            announce(proxy: proxy, control: control, endpoint: endpoint, impairments: impairments)
            try await proxy.run()
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: relaying)]
        if let control {
            services.append(
                .init(
                    service: ClosureService {
                        try? await gracefulShutdown()
                        await control.shutdown()
                    }))
        }
        if let endpoint { services.append(.init(service: endpoint)) }
        if statsInterval > 0 {
            let interval = statsInterval
            let json = self.json
            services.append(
                .init(
                    service: ClosureService {
                        try? await cancelWhenGracefulShutdown {
                            while !Task.isCancelled {
                                try await Task.sleep(for: OptionCheck.duration(seconds: interval))
                                ProxyOutput.statistics(await proxy.statistics(), event: "stats", json: json)
                            }
                        }
                    }))
        }
        if let duration {
            services.append(
                .init(
                    service: ClosureService {
                        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: OptionCheck.duration(seconds: duration)) }
                    }, successTerminationBehavior: .gracefullyShutdownGroup))
        }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            await proxy.shutdown()
            throw error
        }
        await control?.shutdown()
        await proxy.shutdown()
        ProxyOutput.statistics(await proxy.statistics(), event: "final", json: json)
    }

    /// The first output line: where the proxy listens, relays to, and takes commands.
    private func announce(proxy: UDPProxy, control: ProxyControlServer?, endpoint: PrometheusEndpoint?, impairments: ProxyImpairments) {
        let listenText = ProxyOutput.text(proxy.localAddress)
        let upstreamText = ProxyOutput.text(proxy.upstreamAddress)
        let controlText = control.map { ProxyOutput.text($0.localAddress) }
        let metricsText = endpoint?.url
        if json {
            var fields = [
                "\"event\":\"listening\"",
                "\"listen\":\"\(listenText)\"",
                "\"upstream\":\"\(upstreamText)\"",
                "\"seed\":\(seed)",
            ]
            if let controlText { fields.append("\"control\":\"\(controlText)\"") }
            if let metricsText { fields.append("\"metrics\":\"\(metricsText)\"") }
            ProxyOutput.line("{" + fields.joined(separator: ",") + "}")
        } else {
            var text = "rudp proxy: listening on \(listenText), relaying to \(upstreamText)"
            if let controlText { text += ", control on \(controlText)" }
            if let metricsText { text += ", metrics on \(metricsText)" }
            ProxyOutput.line(text + ", seed \(seed)\n\(impairments)")
        }
    }
}
