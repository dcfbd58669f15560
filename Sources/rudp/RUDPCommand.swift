import ArgumentParser

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The `rudp` command-line tool: reliable messaging over UDP, as servers, clients, benchmarks,
/// a loss-injecting proxy and a network simulator.
@main
struct RUDPCommand: AsyncParsableCommand {
    /// The tool's version, printed by `rudp --version`.
    static let version = "0.9.0"

    static let configuration = CommandConfiguration(
        commandName: "rudp",
        abstract: "Reliable messaging over UDP: echo, file transfer, demo, benchmarks, a lossy proxy and a simulator.",
        discussion: """
            Every subcommand has its own --help. Start with `rudp demo`: it needs no arguments.
            """,
        version: RUDPCommand.version,
        subcommands: RUDPCommand.subcommandList
    )

    /// The environment variable that makes `rudp` stop after parsing and validating its
    /// arguments (exit 0 if they are valid, 64 with a message if not): the tests use it to
    /// check every option's range without running anything.
    static let checkArgumentsOnlyVariable = "RUDP_CHECK_ARGUMENTS_ONLY"

    /// Parses and validates the command line, then runs the subcommand (as
    /// `AsyncParsableCommand.main()` does), unless ``checkArgumentsOnlyVariable`` is set.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if getenv(checkArgumentsOnlyVariable) != nil { Glibc.exit(0) }
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
