import ArgumentParser

/// `rudp echo-client`: Send names to an echo server and print each reply in order.
struct EchoClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo-client",
        abstract: "Send names to an echo server and print each reply in order."
    )

    func run() async throws {
        throw ValidationError("`rudp echo-client` is not available in this build yet.")
    }
}
