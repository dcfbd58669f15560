import ArgumentParser

/// `rudp demo`: Show reliability at work over a lossy path, with no arguments needed.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Show reliability at work over a lossy path, with no arguments needed."
    )

    func run() async throws {
        throw ValidationError("`rudp demo` is not available in this build yet.")
    }
}
