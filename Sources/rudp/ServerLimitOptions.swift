import ArgumentParser
import RUDP

/// The connection limits of a server (`Specs/PROTOCOL.md` sections 7.2 and 17.4), for
/// `rudp echo-server`: the defaults suit most servers; a server behind a large NAT, or a test
/// opening thousands of connections from one address, raises them.
///
/// ```
/// rudp echo-server --port 9000 --max-connections-per-address 20000 --max-connections 20000
/// ```
struct ServerLimitOptions: ParsableArguments {
    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Most connections at once, half-open ones included (default 10000; per worker with --workers).", valueName: "n"))
    var maxConnections: Int?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Most connections from one IP address, any port (default 1024; per worker).", valueName: "n"))
    var maxConnectionsPerAddress: Int?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Most connections from one IPv4 /24 or IPv6 /64 network (default 4096; per worker).", valueName: "n"))
    var maxConnectionsPerPrefix: Int?

    @Option(
        help: ArgumentHelp(
            "When CONNECTs without a valid cookie get a stateless RETRY: 'always', 'never', "
                + "or a number N for 'while more than N connections are half-open' (default 64).", valueName: "policy"),
        transform: ServerLimitOptions.parseRetryPolicy)
    var retry: RetryPolicy?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "Close connections on which no message went either way for this many seconds "
                + "(keep-alives do not count; default: never).", valueName: "seconds"))
    var applicationIdleTimeout: Double?

    /// Range checks at parse time (exit 64 with the usage), like every numeric option of `rudp`.
    func validate() throws {
        if let maxConnections { try OptionCheck.count(maxConnections, "--max-connections", in: 1...10_000_000) }
        if let maxConnectionsPerAddress {
            try OptionCheck.count(maxConnectionsPerAddress, "--max-connections-per-address", in: 1...10_000_000)
        }
        if let maxConnectionsPerPrefix {
            try OptionCheck.count(maxConnectionsPerPrefix, "--max-connections-per-prefix", in: 1...10_000_000)
        }
        if let applicationIdleTimeout { try OptionCheck.seconds(applicationIdleTimeout, "--application-idle-timeout") }
    }

    /// Applies the options that were given to `configuration`.
    func apply(to configuration: inout RUDPConfiguration) throws {
        if let maxConnections { configuration.maxConnections = maxConnections }
        if let maxConnectionsPerAddress { configuration.maxConnectionsPerAddress = maxConnectionsPerAddress }
        if let maxConnectionsPerPrefix { configuration.maxConnectionsPerPrefix = maxConnectionsPerPrefix }
        if let retry { configuration.retryPolicy = retry }
        if let applicationIdleTimeout {
            guard applicationIdleTimeout > 0, applicationIdleTimeout.isFinite else {
                throw ValidationError("--application-idle-timeout must be a positive number of seconds")
            }
            configuration.connection.applicationIdleTimeout = .milliseconds(Int64((applicationIdleTimeout * 1000).rounded(.up)))
        }
    }

    /// `always`, `never`, or a non-negative threshold.
    static func parseRetryPolicy(_ text: String) throws -> RetryPolicy {
        switch text {
        case "always": return .always
        case "never": return .never
        default:
            guard let threshold = Int(text), threshold >= 0 else {
                throw ValidationError("--retry must be 'always', 'never' or a number of half-open connections, got '\(text)'")
            }
            return .whenHalfOpenExceeds(threshold)
        }
    }
}
