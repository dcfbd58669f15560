import Foundation
import RUDPTestSupport

/// Runs `tshark` with the dissector `Specs/wireshark/rudp.lua` on capture files the tests write.
///
/// tshark comes from the Debian package `tshark` (`.ci/run` installs it). Without it the
/// dissector tests are skipped, except under CI (`CI=true`), where they run and fail. Reading a
/// capture file needs no privileges. Each run goes through the tests' process runner
/// (``ChildProcess``, on swift-subprocess), is bounded by a hang guard far above a loaded run and
/// sees an empty home directory, so neither the user's Wireshark preferences nor a copy of
/// the dissector in the personal plugins folder can change what it decodes.
enum TShark {
    /// The tshark executable on `PATH`, if any.
    static let executable: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/tshark"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }()

    /// Whether this is a CI run (`CI=true`, set by `.ci/run`).
    static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// Whether the dissector tests run: when tshark is installed, and always under CI.
    static var shouldRun: Bool { executable != nil || isCI }

    /// Why they fail under CI when tshark is missing.
    static let missing = "tshark is not installed (Debian package tshark; .ci/run installs it): the Wireshark dissector cannot be checked"

    /// The repository root.
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `Specs/wireshark/rudp.lua`.
    static var dissector: URL { repository.appendingPathComponent("Specs/wireshark/rudp.lua") }

    struct Output {
        var status: Int32
        var standardOutput: String
        var standardError: String

        /// Standard error without tshark's notice about running as root.
        var problems: String {
            standardError.split(separator: "\n").filter { !$0.contains("Running as user") }.joined(separator: "\n")
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs tshark with the dissector loaded and `arguments` after it, in `directory` (a scratch
    /// directory that also serves as the home directory of the run), on the tests' process
    /// runner: off the test runner's pool, killed by a hang guard (``HangGuard/seconds``) far
    /// above a run on a loaded machine (about a second alone).
    static func run(_ arguments: [String], in directory: URL) async throws -> Output {
        guard let executable else { throw Failure(description: missing) }
        let result = try await ChildProcess.run(
            executable: executable, ["-n", "-X", "lua_script:\(dissector.path)"] + arguments,
            environment: ["HOME": directory.path, "XDG_CONFIG_HOME": nil, "WIRESHARK_CONFIG_DIR": nil],
            directory: directory, seconds: HangGuard.seconds)
        return Output(status: result.status, standardOutput: result.output, standardError: result.error)
    }

    /// Decodes `capture` and returns, for every datagram in order, the value of each of `fields`
    /// (several occurrences joined with ","), with the run's output for diagnostics.
    static func fields(_ fields: [String], of capture: URL, in directory: URL) async throws -> (rows: [[String: String]], output: Output) {
        let arguments =
            [
                "-r", capture.path, "-T", "fields", "-E", "header=n", "-E", "separator=/t",
                "-E", "occurrence=a", "-E", "aggregator=,",
            ] + fields.flatMap { ["-e", $0] }
        let output = try await run(arguments, in: directory)
        guard output.status == 0 else {
            throw Failure(description: "tshark exited with \(output.status): \(output.problems)")
        }
        var rows: [[String: String]] = []
        for line in output.standardOutput.split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
            let values = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            var row: [String: String] = [:]
            for (i, field) in fields.enumerated() { row[field] = i < values.count ? values[i] : "" }
            rows.append(row)
        }
        return (rows, output)
    }

    /// The whole packet details (`-V`) of `capture`.
    static func details(of capture: URL, in directory: URL) async throws -> Output {
        let output = try await run(["-r", capture.path, "-V"], in: directory)
        guard output.status == 0 else {
            throw Failure(description: "tshark exited with \(output.status): \(output.problems)")
        }
        return output
    }

    /// A fresh scratch directory.
    static func scratchDirectory(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rudp-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
