import ArgumentParser

/// The `rudp` command-line tool: reliable messaging over UDP, as servers, clients, benchmarks,
/// a loss-injecting proxy and a network simulator.
@main
struct RUDPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rudp",
        abstract: "Reliable messaging over UDP: echo, file transfer, demo, benchmarks, a lossy proxy and a simulator.",
        discussion: """
            Every subcommand has its own --help. Start with `rudp demo`: it needs no arguments.
            """,
        subcommands: RUDPCommand.subcommandList
    )
}
