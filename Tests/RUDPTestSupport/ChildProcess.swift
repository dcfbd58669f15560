import Foundation
import Subprocess
import Synchronization
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// A child process of a test, on swift-subprocess: the `rudp` executable (or an example
/// program) started in the test's environment without `RUDP_PSK`, so that a key in the
/// developer's shell cannot change a test.
///
/// - ``run(_:environment:seconds:)`` runs a command to completion and returns its status and
///   output.
/// - ``withRudp(_:environment:directory:limit:_:)`` starts a long-running one (a server, a
///   receiver, a proxy) for the duration of a closure, which reads its output line by line,
///   sends it signals and waits for its exit. Children may overlap (nest the scopes).
///
/// A long-running child never outlives its scope: it is killed when the closure returns (unless
/// it exited), when it throws (a failed `#require`, a wait that ran out), and when the hang
/// guard (`withTimeLimit`, ``HangGuard``) ends the scope. The closure and the child's output
/// readers run on threads of their own (``OffPool/runTasks(_:)``), so waits do not
/// queue behind the cooperative pool, which CPU-heavy suites running in parallel can hold for
/// tens of seconds. Failure messages carry the child's ``transcript`` (its standard output and
/// error).
///
/// ```swift
/// let status = try await ChildProcess.withRudp(["echo-server", "--port", "0"]) { server in
///     let port = try await server.listeningPort()
///     // ... talk to 127.0.0.1:port ...
///     server.send(signal: SIGTERM)
///     return try await server.waitForExit()
/// }
/// ```
public final class ChildProcess: Sendable {
    /// The command line, for messages.
    public let command: String
    /// The child's process ID.
    public let processIdentifier: Int32
    private let execution: Execution<NoInput, SequenceOutput, SequenceOutput>
    private let captured = Mutex(Captured())

    /// What the output readers collected so far.
    private struct Captured {
        var output: [UInt8] = []
        var error: [UInt8] = []
        /// Complete lines of standard output, and where the next one starts in `output`.
        var lines: [String] = []
        var lineStart = 0
        /// The index in `lines` of the next line ``nextLine(within:)`` returns.
        var nextLine = 0
        var outputEnded = false
        var errorEnded = false

        mutating func appendOutput(_ bytes: some Sequence<UInt8>) {
            output.append(contentsOf: bytes)
            while let newline = output[lineStart...].firstIndex(of: UInt8(ascii: "\n")) {
                lines.append(String(decoding: output[lineStart..<newline], as: UTF8.self))
                lineStart = newline + 1
            }
        }

        /// The complete lines, plus an unterminated last one once the output ended.
        var allLines: [String] {
            guard outputEnded, lineStart < output.count else { return lines }
            return lines + [String(decoding: output[lineStart...], as: UTF8.self)]
        }
    }

    private init(command: String, execution: Execution<NoInput, SequenceOutput, SequenceOutput>) {
        self.command = command
        self.execution = execution
        self.processIdentifier = execution.processIdentifier.value
    }

    /// Everything the child wrote to standard output so far.
    public var standardOutput: String { captured.withLock { String(decoding: $0.output, as: UTF8.self) } }

    /// Everything the child wrote to standard error so far.
    public var standardError: String { captured.withLock { String(decoding: $0.error, as: UTF8.self) } }

    /// The lines of standard output so far (an unterminated last line once the output ended).
    public var lines: [String] { captured.withLock { $0.allLines } }

    /// The command line and both outputs, for failure messages.
    public var transcript: String {
        "--- \(command) ---\n--- stdout ---\n\(standardOutput)--- stderr ---\n\(standardError)"
    }

    /// Waits (at most `seconds`) for the first line of standard output that contains `text`,
    /// printed so far or later; throws with the transcript if none comes.
    public func line(containing text: String, within seconds: Double = HangGuard.processSeconds) async throws -> String {
        try await poll("line containing '\(text)'", seconds: seconds) { captured in
            captured.allLines.first { $0.contains(text) }
        }
    }

    /// Waits (at most `seconds`) for the next line of standard output that no call of this
    /// method returned yet; throws with the transcript if none comes.
    public func nextLine(within seconds: Double = HangGuard.processSeconds) async throws -> String {
        try await poll("further line", seconds: seconds) { captured in
            let lines = captured.allLines
            guard captured.nextLine < lines.count else { return nil }
            captured.nextLine += 1
            return lines[captured.nextLine - 1]
        }
    }

    /// Waits for a line `... listening on HOST:PORT ...` and returns the port.
    public func listeningPort(within seconds: Double = HangGuard.processSeconds) async throws -> Int {
        try Self.port(inListeningLine: try await line(containing: "listening on", within: seconds))
    }

    /// Sends `signal` (SIGTERM, SIGINT, SIGKILL...) to the child; nothing if it has exited.
    public func send(signal: Int32) {
        try? execution.send(signal: Signal(rawValue: signal))
    }

    /// The child's exit status if it has exited (128 + the signal if a signal ended it), or nil.
    /// The child stays a zombie until its scope ends, so its process ID is not reused meanwhile;
    /// but a check whether that process exists (`kill(pid, 0)`, as `rudp recv` does for stale
    /// partial files) says yes until then.
    public var exitStatus: Int32? {
        var info = siginfo_t()
        guard waitid(P_PID, id_t(processIdentifier), &info, WEXITED | WNOHANG | WNOWAIT) == 0,
            info._sifields._sigchld.si_pid != 0
        else { return nil }
        let status = info._sifields._sigchld.si_status
        return Int(info.si_code) == Int(CLD_EXITED) ? status : 128 + status
    }

    /// Waits (at most `seconds`) for the child to exit and returns its status (128 + the signal
    /// if a signal ended it), once its output is read to the end; kills it and throws (with the
    /// transcript) if it is still running then.
    @discardableResult
    public func waitForExit(within seconds: Double = HangGuard.processSeconds) async throws -> Int32 {
        var status: Int32?
        try await eventually(within: seconds) {
            status = exitStatus
            return status != nil
        }
        guard let status else {
            send(signal: SIGKILL)
            throw Failure("\(command): still running \(seconds) s later; killed\n\(transcript)")
        }
        // swift-subprocess ends the output streams once the child is gone (even if a grandchild
        // holds the pipes): let the readers take the last bytes.
        try await eventually(within: min(seconds, 60), every: .milliseconds(5)) {
            captured.withLock { $0.outputEnded && $0.errorEnded }
        }
        return status
    }

    /// Polls `check` until it finds something, the standard output ends or `seconds` pass.
    private func poll<Value>(
        _ what: String, seconds: Double, _ check: (inout Captured) -> Value?
    ) async throws -> Value {
        var found: Value?
        var ended = false
        try await eventually(within: seconds) {
            (found, ended) = captured.withLock { captured in (check(&captured), captured.outputEnded) }
            return found != nil || ended
        }
        if let found { return found }
        let why = ended ? "its output ended" : "none within \(seconds) s"
        throw Failure("\(command): no \(what) (\(why))\n\(transcript)")
    }

    /// Reads one of the child's outputs to its end into `captured`.
    private func read(_ stream: SubprocessOutputSequence, isOutput: Bool) async {
        do {
            for try await buffer in stream {
                buffer.withUnsafeBytes { bytes in
                    captured.withLock { captured in
                        if isOutput { captured.appendOutput(bytes) } else { captured.error.append(contentsOf: bytes) }
                    }
                }
            }
        } catch {
            // The stream failed (the scope is ending): what was read stays.
        }
        captured.withLock { captured in
            if isOutput { captured.outputEnded = true } else { captured.errorEnded = true }
        }
    }

    // MARK: - Long-running children

    /// Starts `rudp` with `arguments` (plus `environment`, in `directory` if given) and runs
    /// `body` with it; the child is killed when `body` ends, if it still runs. `limit` is the hang
    /// guard of the whole scope (``HangGuard/seconds``): past it the scope throws
    /// `TimeLimitExceeded` and the child is killed.
    public static func withRudp<Value: Sendable>(
        _ arguments: [String], environment: [String: String?] = [:], directory: URL? = nil,
        limit: Double = HangGuard.seconds,
        _ body: @escaping @Sendable (ChildProcess) async throws -> Value
    ) async throws -> Value {
        try await with(
            executable: try RudpBinary.path(), arguments, environment: environment, directory: directory, limit: limit, body)
    }

    /// Starts another executable (an example program) the same way as ``withRudp(_:environment:directory:limit:_:)``.
    public static func with<Value: Sendable>(
        executable: String, _ arguments: [String], environment: [String: String?] = [:], directory: URL? = nil,
        limit: Double = HangGuard.seconds,
        _ body: @escaping @Sendable (ChildProcess) async throws -> Value
    ) async throws -> Value {
        let command = ([URL(fileURLWithPath: executable).lastPathComponent] + arguments).joined(separator: " ")
        let updates = environmentUpdates(environment)
        return try await withTimeLimit(seconds: limit, "hang guard: \(command)") {
            try await OffPool.runTasks {
                let result = try await Subprocess.run(
                    .path(FilePath(executable)), arguments: Arguments(arguments), environment: .inherit.updating(updates),
                    workingDirectory: directory.map { FilePath($0.path) }, input: .none, output: .sequence, error: .sequence
                ) { execution in
                    let child = ChildProcess(command: command, execution: execution)
                    return try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask { await child.read(execution.standardOutput, isOutput: true) }
                        group.addTask { await child.read(execution.standardError, isOutput: false) }
                        let value: Value
                        do {
                            value = try await body(child)
                        } catch {
                            // swift-subprocess would kill the child once the body has thrown, but
                            // the readers end only with the child (or cancelled while waiting).
                            child.send(signal: SIGKILL)
                            group.cancelAll()
                            throw error
                        }
                        // The scope ends: a child still running is killed, and its readers end
                        // once swift-subprocess sees it gone.
                        child.send(signal: SIGKILL)
                        try await group.waitForAll()
                        return value
                    }
                }
                return result.closureResult
            }
        }
    }

    // MARK: - Runs to completion

    /// What a finished process left.
    public struct Result: Sendable {
        /// The exit status (128 + the signal if a signal ended it).
        public var status: Int32
        /// Its standard output.
        public var output: String
        /// Its standard error.
        public var error: String

        /// A result with these parts.
        public init(status: Int32, output: String, error: String) {
            self.status = status
            self.output = output
            self.error = error
        }
    }

    /// Runs `rudp` with `arguments` to completion (at most `seconds`, then it is killed).
    public static func run(_ arguments: [String], environment: [String: String?] = [:], seconds: Double) async throws -> Result {
        try await run(executable: try RudpBinary.path(), arguments, environment: environment, seconds: seconds)
    }

    /// Runs another executable to completion (at most `seconds`, then it is killed), in
    /// `directory` if given, on threads of its own (``OffPool/runTasks(_:)``). Output is collected (up to 64 MiB per stream) by swift-subprocess's
    /// own I/O thread (epoll on Linux, no libdispatch handlers); the process is killed if the hang
    /// guard fires (`withTimeLimit` cancels the run, and swift-subprocess tears the child down).
    public static func run(
        executable: String, _ arguments: [String], environment: [String: String?] = [:], directory: URL? = nil,
        seconds: Double
    ) async throws -> Result {
        let updates = environmentUpdates(environment)
        let command = "\(executable) \(arguments.joined(separator: " "))"
        return try await withTimeLimit(seconds: seconds, command) {
            try await OffPool.runTasks {
                let result = try await Subprocess.run(
                    .path(FilePath(executable)), arguments: Arguments(arguments), environment: .inherit.updating(updates),
                    workingDirectory: directory.map { FilePath($0.path) },
                    output: .string(limit: 64 << 20), error: .string(limit: 64 << 20)
                )
                let status: Int32
                switch result.terminationStatus {
                case .exited(let code): status = code
                case .signaled(let signal): status = 128 + signal
                }
                return Result(status: status, output: result.standardOutput, error: result.standardError)
            }
        }
    }

    /// The test's environment without `RUDP_PSK`, plus `environment` (a nil value removes the
    /// variable).
    private static func environmentUpdates(_ environment: [String: String?]) -> [Environment.Key: String?] {
        var updates: [Environment.Key: String?] = ["RUDP_PSK": nil]
        for (name, value) in environment { updates.updateValue(value, forKey: Environment.Key(stringLiteral: name)) }
        return updates
    }

    // MARK: - Output

    /// The port in a line such as `... listening on 127.0.0.1:40123 ...`.
    public static func port(inListeningLine line: String) throws -> Int {
        guard let range = line.range(of: "listening on ") else { throw Failure("no 'listening on' in '\(line)'") }
        let address = line[range.upperBound...].prefix { !$0.isWhitespace && $0 != "," }
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
            throw Failure("no port in '\(line)'")
        }
        return port
    }

    /// A test failure with a message.
    public struct Failure: Error, CustomStringConvertible {
        /// What went wrong.
        public var description: String

        /// A failure saying `description`.
        public init(_ description: String) { self.description = description }
    }
}
