import ArgumentParser

/// `rudp echo-server`: Run the reliable echo server: answers each message M with 'Hello, M!'.
struct EchoServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo-server",
        abstract: "Run the reliable echo server: answers each message M with 'Hello, M!'."
    )

    func run() async throws {
        throw ValidationError("`rudp echo-server` is not available in this build yet.")
    }
}
