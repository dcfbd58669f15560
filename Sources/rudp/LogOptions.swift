import ArgumentParser
import Logging
import Synchronization

/// The `--log-level` option shared by every networking subcommand, wired to swift-log.
///
/// Logs go to standard error, so standard output stays clean for results (`--json`, replies).
///
/// ```swift
/// struct MyCommand: AsyncParsableCommand {
///     @OptionGroup var logOptions: LogOptions
///     func run() async throws {
///         let logger = logOptions.makeLogger(label: "rudp.my-command")
///         logger.info("started")
///     }
/// }
/// ```
struct LogOptions: ParsableArguments {
    /// The swift-log levels, spelled as on the command line.
    enum Level: String, CaseIterable, ExpressibleByArgument, Sendable {
        case trace, debug, info, notice, warning, error, critical

        /// The swift-log level with the same name.
        var loggerLevel: Logger.Level {
            switch self {
            case .trace: return .trace
            case .debug: return .debug
            case .info: return .info
            case .notice: return .notice
            case .warning: return .warning
            case .error: return .error
            case .critical: return .critical
            }
        }
    }

    @Option(
        name: .long,
        help: ArgumentHelp("The lowest level of log messages written to standard error.", valueName: "level")
    )
    var logLevel: Level = .warning

    /// Whether swift-log was bootstrapped by this process already (it may be only once).
    private static let isBootstrapped = Mutex(false)

    /// Bootstraps swift-log (once per process) to write to standard error, and returns a logger
    /// at the chosen level.
    func makeLogger(label: String) -> Logger {
        Self.isBootstrapped.withLock { bootstrapped in
            guard !bootstrapped else { return }
            bootstrapped = true
            LoggingSystem.bootstrap { label in StreamLogHandler.standardError(label: label) }
        }
        var logger = Logger(label: label)
        logger.logLevel = logLevel.loggerLevel
        return logger
    }
}
