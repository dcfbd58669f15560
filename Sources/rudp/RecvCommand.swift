import ArgumentParser

/// `rudp recv`: Receive one file from `rudp send` and verify its SHA-256.
struct RecvCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recv",
        abstract: "Receive one file from `rudp send` and verify its SHA-256."
    )

    func run() async throws {
        throw ValidationError("`rudp recv` is not available in this build yet.")
    }
}
