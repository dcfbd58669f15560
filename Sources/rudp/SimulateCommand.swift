import ArgumentParser

/// `rudp simulate`: Simulate the protocol over a lossy network in virtual time and report.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Simulate the protocol over a lossy network in virtual time and report."
    )

    func run() async throws {
        throw ValidationError("`rudp simulate` is not available in this build yet.")
    }
}
