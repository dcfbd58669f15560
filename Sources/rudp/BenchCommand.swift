import ArgumentParser

/// `rudp bench`: Measure throughput and latency over loopback UDP with injected loss.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput and latency over loopback UDP with injected loss."
    )

    func run() async throws {
        throw ValidationError("`rudp bench` is not available in this build yet.")
    }
}
