import Foundation
import RUDPCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 15 point 4, processes: `rudp echo-server --workers 2 --processes` (a parent holding
/// the two SO_REUSEPORT sockets, a child `rudp` process per worker). Real processes, real
/// loopback sockets; the clients are sans-IO endpoints on sockets of their own
/// (``ClientSwarm``), so a test can see which worker each connection is on (the top 4 bits of
/// the server's connection ID) and kill that worker's process.
@Suite("multi-process server") struct WorkerProcessTests {
    /// Sends one message on each of `connections` and steps the clients until every one of them
    /// has its `Hello, …!` back, or `seconds` passed; returns the connections that got it.
    static func echo(_ swarm: ClientSwarm, on connections: [(client: Int, id: ConnectionID)], tag: String, seconds: Double) throws -> Set<
        ConnectionID
    > {
        var expected: [ConnectionID: [UInt8]] = [:]
        for (client, id) in connections {
            let message = Array("\(tag) \(id)".utf8)
            try swarm.send(message, on: id, client: client)
            expected[id] = Array("Hello, ".utf8) + message + Array("!".utf8)
        }
        func answered() -> Set<ConnectionID> {
            Set(expected.compactMap { id, reply in swarm.received[id]?.contains(reply) == true ? id : nil })
        }
        eventually(within: seconds) {
            answered().count == expected.count
        } stepping: {
            if !swarm.step() { usleep(500) }
        }
        return answered()
    }

    /// The process ID in the last line `worker <index> started (pid <pid>)` of `output`.
    static func workerPID(_ index: Int, in output: String) -> Int32? {
        let prefix = "worker \(index) started (pid "
        guard let line = output.split(separator: "\n").last(where: { $0.contains(prefix) }),
            let range = line.range(of: prefix)
        else { return nil }
        return Int32(line[range.upperBound...].prefix { $0.isNumber })
    }

    @Test("killing one worker process does not disturb the other's connections, and its replacement serves new clients")
    func killingOneWorkerProcess() async throws {
        try await ChildProcess.withRudp(["echo-server", "--port", "0", "--workers", "2", "--processes"]) { server in
            let port = try await server.listeningPort()
            _ = try await server.line(containing: "worker 0 started")
            _ = try await server.line(containing: "worker 1 started")
            let victim = try #require(Self.workerPID(1, in: server.standardOutput))
            // The clients are stepped by hand (blocking work, on one of the scope's own threads;
            // the other reads the server's output meanwhile).
            try Self.killWorker(victim, of: server, port: port)

            // A clean stop: every worker exits, then the parent.
            server.send(signal: SIGTERM)
            #expect(try await server.waitForExit() == 0, "\(server.transcript)")
            #expect(server.standardOutput.contains("rudp echo-server stopped"))
            if let replacement = Self.workerPID(1, in: server.standardOutput), replacement != victim {
                #expect(!Self.isRunning(replacement), "the worker processes exited with their parent")
            }
        }
    }

    /// Connects clients to both workers of `server` on `port`, kills worker 1 (`victim`), and
    /// checks that worker 0's clients carry on and that its replacement serves new clients.
    static func killWorker(_ victim: Int32, of server: ChildProcess, port: Int) throws {
        // 32 clients, each on its own socket and address: spread over both workers by the
        // kernel's hash (all on one worker: probability 2^-31).
        let swarm = try ClientSwarm(serverPort: port, sockets: 32)
        swarm.recordsMessages = true
        try swarm.connect(32, batch: 32, seconds: HangGuard.processSeconds)
        var byWorker: [Int: [(client: Int, id: ConnectionID)]] = [:]
        for connection in swarm.establishedConnections {
            let worker = Int(try #require(swarm.serverConnectionID(of: connection.id, client: connection.client)).workerIndex)
            byWorker[worker, default: []].append(connection)
        }
        let onWorker0 = byWorker[0] ?? [], onWorker1 = byWorker[1] ?? []
        print("32 clients over 2 worker processes: \(onWorker0.count) on worker 0, \(onWorker1.count) on worker 1")
        #expect(onWorker0.count + onWorker1.count == 32 && Set(byWorker.keys).isSubset(of: [0, 1]))
        try #require(!onWorker0.isEmpty && !onWorker1.isEmpty, "both workers have clients: \(byWorker.mapValues(\.count))")
        #expect(try Self.echo(swarm, on: onWorker0 + onWorker1, tag: "before", seconds: HangGuard.processSeconds).count == 32)

        // Worker 1's process dies; the parent starts another on the same socket.
        kill(victim, SIGKILL)
        // The parent reports the death, then the new worker 1; the clients keep answering meanwhile.
        var replacement: Int32?
        eventually {
            guard server.standardOutput.contains("worker 1 (pid \(victim)) was killed by signal 9"),
                let pid = Self.workerPID(1, in: server.standardOutput), pid != victim
            else { return false }
            replacement = pid
            return true
        } stepping: {
            swarm.step()
            usleep(1_000)
        }
        let newPID = try #require(replacement, "a new worker 1 started\n\(server.transcript)")

        // Worker 0's connections carry on as if nothing happened.
        let again = try Self.echo(swarm, on: onWorker0, tag: "after", seconds: HangGuard.processSeconds)
        #expect(again.count == onWorker0.count, "every client of worker 0 still served: \(again.count) of \(onWorker0.count)")
        #expect(onWorker0.allSatisfy { swarm.closed[$0.id] == nil }, "no connection of worker 0 ended")

        // New clients: the replacement serves those the kernel's hash gives it.
        let newcomers = try ClientSwarm(serverPort: port, sockets: 32)
        newcomers.recordsMessages = true
        try newcomers.connect(32, batch: 32, seconds: HangGuard.processSeconds)
        let established = newcomers.establishedConnections
        let onReplacement = try established.filter {
            try #require(newcomers.serverConnectionID(of: $0.id, client: $0.client)).workerIndex == 1
        }
        print(
            "after the restart of worker 1 (pid \(victim) → \(newPID)): \(again.count) of \(onWorker0.count) clients of worker 0 still served; \(onReplacement.count) of \(established.count) new clients on the new worker 1"
        )
        #expect(established.count == 32)
        #expect(!onReplacement.isEmpty, "the new worker 1 accepted new clients")
        #expect(try Self.echo(newcomers, on: established, tag: "new", seconds: HangGuard.processSeconds).count == established.count)
    }

    @Test("echo-server --workers 2 (threads) serves a load; echo-client --connections/--repeat checks every reply")
    func threadsServeALoad() async throws {
        try await ChildProcess.withRudp(["echo-server", "--port", "0", "--workers", "2"]) { server in
            let line = try await server.line(containing: "listening on")
            #expect(line.contains("with 2 worker threads"))
            let port = try ChildProcess.port(inListeningLine: line)
            let result = try await ChildProcess.run(
                ["echo-client", "--port", "\(port)", "--connections", "6", "--repeat", "50", "Alice", "Bob"],
                seconds: HangGuard.processSeconds)
            #expect(result.status == 0, "\(result.error)")
            #expect(result.output.contains("600 replies on 6 connections in "), "\(result.output)")
            server.send(signal: SIGINT)
            #expect(try await server.waitForExit() == 0, "\(server.transcript)")
        }
    }

    /// Whether process `pid` still runs (a zombie waiting for a reaper does not count).
    static func isRunning(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return !stat[close...].hasPrefix(") Z")
    }

    @Test("worker processes end when their parent is killed")
    func workersEndWithTheirParent() async throws {
        try await ChildProcess.withRudp(["echo-server", "--port", "0", "--workers", "2", "--processes"]) { server in
            _ = try await server.line(containing: "worker 0 started")
            _ = try await server.line(containing: "worker 1 started")
            let children = [Self.workerPID(0, in: server.standardOutput), Self.workerPID(1, in: server.standardOutput)].compactMap { $0 }
            #expect(children.count == 2)
            server.send(signal: SIGKILL)
            try await server.waitForExit()
            // The children read end-of-file on their lifeline and shut down (bounded wait).
            let ended = try await eventually { !children.contains(where: Self.isRunning) }
            #expect(ended, "no worker outlives its parent")
        }
    }
}
