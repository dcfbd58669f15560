import ArgumentParser

/// `rudp proxy`: Relay UDP between clients and an upstream, injecting loss, delay and more.
struct ProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy",
        abstract: "Relay UDP between clients and an upstream, injecting loss, delay and more."
    )

    func run() async throws {
        throw ValidationError("`rudp proxy` is not available in this build yet.")
    }
}
