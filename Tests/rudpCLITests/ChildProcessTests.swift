import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The tests' child-process runner (``ChildProcess``, on swift-subprocess): no child outlives
/// its scope, whichever way the scope ends, and a failed wait says what the child printed.
@Suite struct ChildProcessTests {
    /// A process ID noted inside a scope, read after it.
    final class NotedPID: Sendable {
        private let pid = Mutex<Int32>(0)
        var value: Int32 { pid.withLock { $0 } }
        func note(_ value: Int32) { pid.withLock { $0 = value } }
    }

    /// Whether process `pid` exists (a zombie counts: it is not reaped yet).
    static func exists(_ pid: Int32) -> Bool { kill(pid, 0) == 0 }

    /// Waits (at most a hang guard) until process `pid` is gone; returns whether it is.
    static func isGone(_ pid: Int32) async throws -> Bool {
        try await eventually { !exists(pid) }
    }

    @Test func aChildStillRunningWhenItsScopeEndsIsKilledAndReaped() async throws {
        let pid = try await ChildProcess.withRudp(["echo-server", "--port", "0"]) { server in
            _ = try await server.listeningPort()
            #expect(server.exitStatus == nil)
            return server.processIdentifier
        }
        #expect(!Self.exists(pid), "the server outlived its scope")
    }

    @Test func aScopeThatThrowsKillsItsChildAndTheFailureShowsWhatTheChildPrinted() async throws {
        let pid = NotedPID()
        await #expect(throws: ChildProcess.Failure.self) {
            try await ChildProcess.withRudp(["echo-server", "--port", "0"]) { server in
                pid.note(server.processIdentifier)
                _ = try await server.line(containing: "a line never printed", within: 0.5)
            }
        }
        #expect(try await Self.isGone(pid.value), "the server outlived its failed scope")

        // A child that fails at once: the wait ends with its output, and says what it wrote.
        do {
            _ = try await ChildProcess.withRudp(["recv", "--port", "0", "--output", "/nonexistent/directory/file"]) { receiver in
                try await receiver.listeningPort()
            }
            Issue.record("recv listened with an --output it cannot write")
        } catch let failure as ChildProcess.Failure {
            #expect(failure.description.contains("its output ended"), "\(failure)")
            #expect(failure.description.contains("--- stderr ---\nError: cannot create"), "\(failure)")
            #expect(failure.description.contains("recv --port 0 --output /nonexistent/directory/file"), "\(failure)")
        }
    }

    @Test func theHangGuardEndsTheScopeAndKillsTheChild() async throws {
        let pid = NotedPID()
        await #expect(throws: TimeLimitExceeded.self) {
            try await ChildProcess.withRudp(["echo-server", "--port", "0"], limit: 2) { server in
                pid.note(server.processIdentifier)
                try await Task.sleep(for: .seconds(HangGuard.seconds))
            }
        }
        let server = pid.value
        #expect(server != 0)
        #expect(try await Self.isGone(server), "the server outlived the hang guard")
    }
}
