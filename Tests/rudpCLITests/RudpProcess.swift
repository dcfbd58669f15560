import Foundation
import Subprocess
import Synchronization
import SystemPackage

/// A running `rudp` process with its standard output and error captured; every wait is bounded
/// and the process is killed when the test ends (``stop()`` in a `defer`, or `deinit`).
///
/// The waits block their thread on purpose: scenarios that start, watch and kill processes run
/// inside ``OffPool/run(_:)`` on a thread of their own, so their timing does not depend on the
/// test runner's cooperative threads, which CPU-heavy suites running in parallel can hold for
/// tens of seconds. That is why this class stays on Foundation's `Process` rather than
/// swift-subprocess: swift-subprocess is async only, and keeps a child alive only within its
/// `run` closure, so a line-by-line wait or a timed client run from such a thread would
/// depend on the cooperative pool again. Runs to completion from async tests
/// (``run(_:environment:seconds:)``) use swift-subprocess.
final class RudpProcess: @unchecked Sendable {
    /// Output captured from one pipe by a reader thread.
    final class Capture: Sendable {
        private let bytes = Mutex<[UInt8]>([])
        private let closed = Mutex(false)

        func append(_ data: Data) { bytes.withLock { $0.append(contentsOf: data) } }
        func markClosed() { closed.withLock { $0 = true } }
        var isClosed: Bool { closed.withLock { $0 } }
        var text: String { String(decoding: bytes.withLock { $0 }, as: UTF8.self) }
    }

    let arguments: [String]
    private let process = Process()
    let standardOutput = Capture()
    let standardError = Capture()

    /// Starts `rudp` with `arguments`, in the test's environment without `RUDP_PSK` (so that a
    /// key in the developer's shell cannot change a test) plus `environment`.
    convenience init(_ arguments: [String], environment: [String: String] = [:]) throws {
        try self.init(executable: try RudpBinary.path(), arguments, environment: environment)
    }

    /// Starts another executable (an example program) the same way, in `directory` if given.
    init(executable: String, _ arguments: [String], environment: [String: String] = [:], directory: URL? = nil) throws {
        self.arguments = arguments
        process.executableURL = URL(fileURLWithPath: executable)
        if let directory { process.currentDirectoryURL = directory }
        process.arguments = arguments
        var inherited = ProcessInfo.processInfo.environment
        inherited["RUDP_PSK"] = nil
        process.environment = inherited.merging(environment) { _, new in new }
        let outputPipe = Pipe(), errorPipe = Pipe()
        process.standardOutput = outputPipe
        process.standardError = errorPipe
        process.standardInput = FileHandle.nullDevice
        // Foundation's Process.run() is not safe to call from several threads at once (it
        // crashed copying the environment): one launch at a time.
        try Self.launchLock.withLock { _ in try process.run() }
        Self.drain(outputPipe.fileHandleForReading, into: standardOutput)
        Self.drain(errorPipe.fileHandleForReading, into: standardError)
    }

    deinit { stop() }

    /// Serializes ``init(_:environment:)``'s launches across threads.
    private static let launchLock = Mutex(())

    private static func drain(_ handle: FileHandle, into capture: Capture) {
        let thread = Thread {
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                capture.append(data)
            }
            capture.markClosed()
        }
        thread.start()
    }

    var processIdentifier: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// Waits (at most `seconds`) for a line of standard output containing `text`; returns it.
    /// Blocks the calling thread: call it inside ``OffPool/run(_:)``.
    func waitForOutputLine(containing text: String, seconds: Double) throws -> String {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while true {
            if let line = standardOutput.text.split(separator: "\n").first(where: { $0.contains(text) }) {
                return String(line)
            }
            if ContinuousClock.now >= deadline || (!process.isRunning && standardOutput.isClosed) { break }
            Thread.sleep(forTimeInterval: 0.01)
        }
        throw Failure(
            "no output line containing '\(text)' within \(seconds) s from rudp \(arguments.joined(separator: " "))\n\(transcript)")
    }

    /// Waits (at most `seconds`) for the process to exit and returns its status (128 + signal if
    /// a signal ended it); kills it and throws if it is still running then. Blocks the calling
    /// thread: call it inside ``OffPool/run(_:)``.
    @discardableResult
    func waitForExit(seconds: Double) throws -> Int32 {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while process.isRunning {
            if ContinuousClock.now >= deadline {
                stop()
                throw Failure("rudp \(arguments.joined(separator: " ")) still running after \(seconds) s; killed\n\(transcript)")
            }
            Thread.sleep(forTimeInterval: 0.01)
        }
        // Let the reader threads collect the last output.
        let drainDeadline = ContinuousClock.now + .seconds(5)
        while (!standardOutput.isClosed || !standardError.isClosed) && ContinuousClock.now < drainDeadline {
            Thread.sleep(forTimeInterval: 0.005)
        }
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    /// Sends `signal` (for example SIGINT) to the process.
    func send(signal: Int32) {
        if process.isRunning { kill(process.processIdentifier, signal) }
    }

    /// Kills the process (SIGKILL) if it still runs, and reaps it.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Both outputs, for failure messages.
    var transcript: String {
        "--- stdout ---\n\(standardOutput.text)--- stderr ---\n\(standardError.text)"
    }

    /// What a finished process left.
    struct Result: Sendable {
        var status: Int32
        var output: String
        var error: String
    }

    /// Runs `rudp` with `arguments` to completion (at most `seconds`), with swift-subprocess.
    static func run(_ arguments: [String], environment: [String: String] = [:], seconds: Double) async throws -> Result {
        try await run(executable: try RudpBinary.path(), arguments, environment: environment, seconds: seconds)
    }

    /// Runs another executable to completion (at most `seconds`, then it is killed), with
    /// swift-subprocess, in the test's environment without `RUDP_PSK` plus `environment`.
    /// Output is collected (up to 64 MiB per stream) by swift-subprocess's own I/O thread (epoll
    /// on Linux, no libdispatch handlers); the process is killed if the hang guard fires
    /// (`withTimeLimit` cancels the run, and swift-subprocess tears the child down).
    static func run(
        executable: String, _ arguments: [String], environment: [String: String] = [:], directory: URL? = nil,
        seconds: Double
    ) async throws -> Result {
        var environmentUpdates: [Environment.Key: String?] = ["RUDP_PSK": nil]
        for (name, value) in environment { environmentUpdates[Environment.Key(stringLiteral: name)] = value }
        let updates = environmentUpdates
        let command = "\(executable) \(arguments.joined(separator: " "))"
        return try await withTimeLimit(seconds: seconds, command) {
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

    /// Runs `rudp` with `arguments` to completion (at most `seconds`), blocking this thread.
    static func runBlocking(_ arguments: [String], environment: [String: String] = [:], seconds: Double) throws -> Result {
        try runBlocking(executable: try RudpBinary.path(), arguments, environment: environment, seconds: seconds)
    }

    /// Runs another executable to completion (at most `seconds`), blocking this thread.
    static func runBlocking(
        executable: String, _ arguments: [String], environment: [String: String] = [:], directory: URL? = nil,
        seconds: Double
    ) throws -> Result {
        let process = try RudpProcess(executable: executable, arguments, environment: environment, directory: directory)
        defer { process.stop() }
        let status = try process.waitForExit(seconds: seconds)
        return Result(status: status, output: process.standardOutput.text, error: process.standardError.text)
    }

    /// The port in a line such as `... listening on 127.0.0.1:40123 ...`.
    static func port(inListeningLine line: String) throws -> Int {
        guard let range = line.range(of: "listening on ") else { throw Failure("no 'listening on' in '\(line)'") }
        let address = line[range.upperBound...].prefix { !$0.isWhitespace && $0 != "," }
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
            throw Failure("no port in '\(line)'")
        }
        return port
    }

    /// A test failure with a message.
    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
