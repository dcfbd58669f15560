import Foundation

/// A child process (the `rudp` executable) whose standard output is read line by line, with
/// timeouts everywhere so a test can never hang on it.
final class RunningProcess: @unchecked Sendable {
    private let process = Process()
    private let lock = NSLock()
    private var outputLines: [String] = []
    private var partialOutput = Data()
    private var errorOutput = Data()
    private var nextLineIndex = 0

    /// The `rudp` executable next to the test bundle (the same build), or `RUDP_BINARY`.
    static var rudpExecutable: URL? {
        if let path = ProcessInfo.processInfo.environment["RUDP_BINARY"] {
            return URL(fileURLWithPath: path)
        }
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for directory in [bundle, bundle.deletingLastPathComponent()] {
            let candidate = directory.appendingPathComponent("rudp")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    /// Starts `executable` with `arguments`.
    init(_ executable: URL, _ arguments: [String]) throws {
        process.executableURL = executable
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Blocking reader threads, not `readabilityHandler`: handlers that are never cleared
        // crash libdispatch's event loop on Linux (`_dispatch_event_loop_drain`; a CI run died so).
        Self.read(output.fileHandleForReading) { [weak self] data in
            self?.appendOutput(data)
        } done: { [weak self] in
            self?.lock.withLock { self?.openStreams -= 1 }
        }
        Self.read(errors.fileHandleForReading) { [weak self] data in
            self?.lock.withLock { self?.errorOutput.append(data) }
        } done: { [weak self] in
            self?.lock.withLock { self?.openStreams -= 1 }
        }
    }

    /// Streams still open (standard output and error): their readers end at end of file.
    private var openStreams = 2

    /// Reads `handle` on a thread of its own until end of file.
    private static func read(
        _ handle: FileHandle, _ append: @escaping @Sendable (Data) -> Void,
        done: @escaping @Sendable () -> Void
    ) {
        let thread = Thread {
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                append(data)
            }
            done()
        }
        thread.start()
    }

    deinit {
        if process.isRunning { process.interrupt(); process.terminate() }
    }

    private func appendOutput(_ data: Data) {
        lock.withLock {
            partialOutput.append(data)
            while let newline = partialOutput.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: partialOutput[partialOutput.startIndex..<newline], as: UTF8.self)
                outputLines.append(line)
                partialOutput.removeSubrange(partialOutput.startIndex...newline)
            }
        }
    }

    /// The next line of standard output not returned yet, or nil after `timeout` seconds.
    func nextLine(timeout: Double = HangGuard.processSeconds) -> String? {
        let deadline = ContinuousClock.now + .seconds(timeout)
        while ContinuousClock.now < deadline {
            let line: String? = lock.withLock {
                guard nextLineIndex < outputLines.count else { return nil }
                nextLineIndex += 1
                return outputLines[nextLineIndex - 1]
            }
            if let line { return line }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return nil
    }

    /// Every line of standard output so far.
    var lines: [String] { lock.withLock { outputLines } }

    /// Standard error so far.
    var standardError: String { lock.withLock { String(decoding: errorOutput, as: UTF8.self) } }

    /// Sends SIGTERM.
    func terminate() { process.terminate() }

    /// The exit status, or nil (after killing it) if it has not exited within `timeout` seconds.
    func waitForExit(timeout: Double = HangGuard.processSeconds) -> Int32? {
        let deadline = ContinuousClock.now + .seconds(timeout)
        while process.isRunning, ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            return nil
        }
        // Let the readers take what the process wrote last (they end at end of file).
        let drained = ContinuousClock.now + .seconds(timeout)
        while lock.withLock({ openStreams > 0 }), ContinuousClock.now < drained {
            Thread.sleep(forTimeInterval: 0.005)
        }
        return process.terminationStatus
    }
}
