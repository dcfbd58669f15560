import ArgumentParser

/// `rudp send`: Send a file reliably to a `rudp recv` receiver.
struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send a file reliably to a `rudp recv` receiver."
    )

    func run() async throws {
        throw ValidationError("`rudp send` is not available in this build yet.")
    }
}
