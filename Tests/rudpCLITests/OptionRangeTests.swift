import Foundation
import Synchronization
import Testing

@testable import rudp

/// Every numeric option of every subcommand, fed extreme values: each must be refused at parse
/// time with exit status 64 and a message naming the option, never a crash, and never accepted
/// unless the value is really in range.
///
/// The options come from the binary itself (`rudp --experimental-dump-help`), so an option added
/// later is tested without editing this file: a new option is numeric unless listed in
/// ``nonNumericOptions``. Each command line is parsed and validated in process, as
/// `RUDPCommand.main()` does (`RUDP_CHECK_ARGUMENTS_ONLY=1` does the same in the binary).
@Suite struct OptionRangeTests {
    /// Options whose value is a name, a path, an address or an enumeration's text.
    static let nonNumericOptions: Set<String> = [
        "host", "to", "o", "output", "psk-file", "log-level", "listen", "upstream",
        "sweep", "scenario", "chart", "metrics-host",
    ]

    /// Values no numeric option may accept (or crash on).
    static let extremeValues = ["1e300", "-1e300", "nan", "inf", "-inf", "-1", "18446744073709551616", "1e-300"]

    /// `1e-300` is a valid probability or time where 0 is allowed: these options may accept it.
    static let tinyValueAccepted: Set<String> = [
        "demo --loss", "bench --loss",
        "proxy --loss", "proxy --duplicate", "proxy --reorder", "proxy --corrupt",
        "proxy --delay", "proxy --jitter", "proxy --reorder-delay",
        "simulate --loss", "simulate --duplicate", "simulate --reorder", "simulate --corrupt",
    ]

    /// Other documented spellings that are valid: `inf` is a synonym of `off` (unlimited) for a rate.
    static let otherAccepted: Set<String> = ["simulate --rate inf", "proxy --rate inf"]

    /// Placeholder values for required arguments, by value name. Not port 9000: a command that
    /// accepts its value runs (a proxy listens on its port), and the example programs that
    /// ReadmeExampleTests runs meanwhile bind 9000 ("address 127.0.0.1:9000 is already in use").
    static let placeholders: [String: String] = [
        "port": "9009", "host:port": "127.0.0.1:9", "file": "/dev/null", "path": "/dev/null", "name": "Alice",
    ]

    struct Option: Sendable, CustomStringConvertible {
        var command: String
        var name: String
        var description: String { "\(command) --\(name)" }
    }

    /// Every subcommand's numeric options and the arguments that make the rest of its command line valid.
    static func numericOptions() async throws -> (options: [Option], baseArguments: [String: [String]]) {
        let dump = try await ChildProcess.run(["--experimental-dump-help"], seconds: HangGuard.processSeconds)
        guard dump.status == 0, let root = try JSONSerialization.jsonObject(with: Data(dump.output.utf8)) as? [String: Any],
            let command = root["command"] as? [String: Any], let subcommands = command["subcommands"] as? [[String: Any]]
        else {
            throw ChildProcess.Failure("rudp --experimental-dump-help gave no command tree: \(dump.error)")
        }
        var options: [Option] = []
        var baseArguments: [String: [String]] = [:]
        for subcommand in subcommands {
            guard let name = subcommand["commandName"] as? String, name != "help" else { continue }
            var base = [name]
            for argument in subcommand["arguments"] as? [[String: Any]] ?? [] {
                let kind = argument["kind"] as? String
                let names = (argument["names"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
                let longName = (argument["names"] as? [[String: Any]] ?? []).first { $0["kind"] as? String == "long" }?["name"] as? String
                let valueName = argument["valueName"] as? String ?? ""
                let optional = argument["isOptional"] as? Bool ?? true
                if !optional {
                    guard let placeholder = placeholders[valueName] else {
                        throw ChildProcess.Failure(
                            "\(name): no placeholder for the required <\(valueName)>; add one to OptionRangeTests.placeholders")
                    }
                    if kind == "positional" {
                        base.append(placeholder)
                    } else if let flag = longName ?? names.first {
                        base += [flag.count == 1 ? "-\(flag)" : "--\(flag)", placeholder]
                    }
                }
                if kind == "option", let longName, !nonNumericOptions.contains(longName) {
                    options.append(Option(command: name, name: longName))
                }
            }
            // Positional names are required by echo-client.
            if name == "echo-client" { base.append("Alice") }
            baseArguments[name] = base
        }
        return (options, baseArguments)
    }

    /// Parses and validates `arguments` as `rudp` does (`RUDPCommand.main()`), in process:
    /// the exit status and the message it would print.
    static func parse(_ arguments: [String]) -> (status: Int32, message: String) {
        do {
            _ = try RUDPCommand.parseAsRoot(arguments)
            return (0, "")
        } catch {
            return (RUDPCommand.exitCode(for: error).rawValue, RUDPCommand.fullMessage(for: error))
        }
    }

    @Test func everyNumericOptionRefusesExtremeValuesWithExit64() async throws {
        let (options, baseArguments) = try await Self.numericOptions()
        #expect(options.count >= 40, "too few numeric options found: \(options)")
        var problems: [String] = []
        for option in options {
            for value in Self.extremeValues {
                let arguments = baseArguments[option.command]! + ["--\(option.name)", value]
                let (status, message) = Self.parse(arguments)
                let accepted =
                    status == 0
                    && ((value == "1e-300" && Self.tinyValueAccepted.contains(option.description))
                        || Self.otherAccepted.contains("\(option) \(value)"))
                let refused = status == 64 && message.contains(option.name)
                if !accepted && !refused {
                    problems.append("rudp \(arguments.joined(separator: " ")) exits \(status): \(message.prefix(300))")
                }
            }
        }
        #expect(problems.isEmpty, "\(problems.count) problems:\n\(problems.joined(separator: "\n"))")
    }

    /// The values of the issue that crashed the binary (SIGILL): as real processes, exit 64 and
    /// one clear line.
    @Test(arguments: [
        ["echo-client", "--port", "9009", "--timeout", "1e300", "Alice"],
        ["send", "/dev/null", "--to", "127.0.0.1:9", "--timeout", "1e300"],
        ["send", "/dev/null", "--to", "127.0.0.1:9", "--max-rate", "1e-300"],
        ["bench", "--mode", "paced", "--rate", "1e-300"],
        ["proxy", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:9", "--duration", "1e300"],
        ["proxy", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:9", "--idle-timeout", "1e300"],
        ["proxy", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:9", "--stats-interval", "1e300"],
        ["simulate", "--loss", "2"],
    ])
    func valuesThatOnceCrashedExit64(arguments: [String]) async throws {
        let result = try await ChildProcess.run(arguments, seconds: HangGuard.processSeconds)
        #expect(result.status == 64, "\(result.error)")
        CLIProcessTests.expectCleanError(result.error, mentioning: ["Usage:"])
    }

    @Test func optionsInRangeAreAccepted() async throws {
        let lines: [[String]] = [
            ["echo-client", "--port", "9009", "--timeout", "0.5", "Alice"],
            ["send", "/dev/null", "--to", "127.0.0.1:9", "--max-rate", "0"],
            ["send", "/dev/null", "--to", "127.0.0.1:9", "--max-rate", "2.5", "--timeout", "1000000"],
            ["recv", "--port", "0", "-o", "/tmp/x", "--max-size", "0"],
            ["bench", "--mode", "paced", "--rate", "0.1"],
            ["proxy", "--listen", "127.0.0.1:0", "--upstream", "127.0.0.1:9", "--stats-interval", "0", "--duration", "0.001"],
            ["simulate", "--loss", "0.1", "--sweep", "congestion=westwood,newreno"],
        ]
        for arguments in lines {
            let result = try await ChildProcess.run(
                arguments, environment: ["RUDP_CHECK_ARGUMENTS_ONLY": "1"], seconds: HangGuard.processSeconds)
            #expect(result.status == 0, "rudp \(arguments.joined(separator: " ")): \(result.error)")
        }
    }

    @Test(arguments: [
        (["echo-client", "--port", "-1", "Alice"], "out of range"),
        (["echo-server", "--port", "-1"], "out of range"),
        (["recv", "--port", "-5", "-o", "/tmp/x"], "out of range"),
        (["echo-client", "--port", "65536", "Alice"], "out of range"),
    ])
    func negativeOrLargePortsAreOutOfRange(arguments: [String], message: String) async throws {
        let result = try await ChildProcess.run(arguments, seconds: HangGuard.processSeconds)
        #expect(result.status == 64)
        CLIProcessTests.expectCleanError(result.error, mentioning: [message])
    }

    static func crashed(_ text: String) -> Bool {
        ["Fatal error", "Stack dump", "Current stack trace", "Illegal instruction", "Segmentation fault"].contains { text.contains($0) }
    }
}
