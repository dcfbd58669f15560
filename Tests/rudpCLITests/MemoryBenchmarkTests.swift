import Foundation
import RUDPCore
import RUDPSecurity
import RUDPWire
import Testing

/// Memory of a real `rudp echo-server` process (`RUDP_MEMORY_BENCH=1 swift test --filter MemoryBenchmark`):
///
/// - **Idle connections**: the growth of the server's resident set size (VmRSS) divided by the
///   number of idle established connections (10,000 by default, `RUDP_MEMORY_BENCH_CONNECTIONS`),
///   plain and encrypted. The clients run in this process ( ``ClientSwarm``), spread over
///   127.x.y.1 source addresses (one /24 each), and answer keep-alives; the figure is read after
///   two keep-alive intervals, once every buffer has settled.
/// - **Never-completed fragments**: 250 plain connections each send one datagram with the first
///   fragments of four reliable and two unreliable 1 MiB messages that never complete (the attack
///   of issue 11: it took the server from 25 MB to 1.5 GB), then, in a second phase, fill their
///   messages with out-of-order fragments (everything but the start), which only the
///   endpoint's receive-memory budget bounds.
///
/// Run against another build with `RUDP_BINARY=/path/to/rudp` (the expectations then say
/// whether that build meets the bounds). Build with `-c release` for figures comparable to a
/// deployment; the per-connection heap objects are the same in a debug build.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["RUDP_MEMORY_BENCH"] != nil), .serialized)
struct MemoryBenchmarkTests {
    static let environment = ProcessInfo.processInfo.environment
    static let connectionCount = Int(environment["RUDP_MEMORY_BENCH_CONNECTIONS"] ?? "") ?? 10_000
    /// Target: at most 4 KiB per idle established connection.
    static let idleBytesLimit = 4096

    /// Runs blocking `measure` (on a thread of its own) with `rudp echo-server` started on a free
    /// port with `arguments`, and its port.
    static func withServer<Value: Sendable>(
        _ arguments: [String] = [], _ measure: @escaping @Sendable (ChildProcess, Int) throws -> Value
    ) async throws -> Value {
        try await ChildProcess.withRudp(["echo-server", "--port", "0"] + arguments) { server in
            let port = try await server.listeningPort(within: 60)
            return try await OffPool.run { try measure(server, port) }
        }
    }

    static func resident(_ server: ChildProcess) throws -> Int {
        guard let bytes = ClientSwarm.residentBytes(of: server.processIdentifier) else {
            throw ChildProcess.Failure("cannot read the server's VmRSS\n\(server.transcript)")
        }
        return bytes
    }

    /// Runs the clients until the server's RSS stops growing (less than 1 MiB in a second) or
    /// `seconds` passed; returns the last RSS.
    static func settle(_ server: ChildProcess, _ swarm: ClientSwarm, seconds: Int) throws -> Int {
        var last = try resident(server)
        for _ in 0..<seconds {
            swarm.pump(seconds: 1)
            let now = try resident(server)
            if now - last < 1 << 20 { return now }
            last = now
        }
        return last
    }

    /// A server started elsewhere (for example under a heap profiler): `RUDP_MEMORY_BENCH_PORT`
    /// and `RUDP_MEMORY_BENCH_PID`; the idle tests then connect to it instead of starting one.
    static let externalServer: (port: Int, pid: Int32)? = {
        guard let port = Int(environment["RUDP_MEMORY_BENCH_PORT"] ?? ""), let pid = Int32(environment["RUDP_MEMORY_BENCH_PID"] ?? "")
        else { return nil }
        return (port, pid)
    }()

    /// Connects `count` idle clients to a server started with `serverArguments` (or the
    /// external one) and returns the server's RSS growth per connection.
    static func idleBytesPerConnection(
        serverArguments: [String], count: Int,
        security: (@Sendable () throws -> EndpointSecurity)?
    ) async throws -> (perConnection: Int, summary: String) {
        if let external = externalServer {
            return try await OffPool.run {
                try Self.idleBytesPerConnection(
                    server: nil, port: external.port, pid: external.pid, serverArguments: serverArguments, count: count, security: security)
            }
        }
        return try await Self.withServer(serverArguments) { server, port in
            try Self.idleBytesPerConnection(
                server: server, port: port, pid: server.processIdentifier, serverArguments: serverArguments, count: count,
                security: security)
        }
    }

    /// Connects `count` idle clients to the server on `port` (process `pid`) and returns its RSS
    /// growth per connection.
    static func idleBytesPerConnection(
        server: ChildProcess?, port: Int, pid: Int32, serverArguments: [String], count: Int,
        security: (@Sendable () throws -> EndpointSecurity)?
    ) throws -> (perConnection: Int, summary: String) {
        func resident() throws -> Int {
            guard let bytes = ClientSwarm.residentBytes(of: pid) else {
                throw ChildProcess.Failure("cannot read the VmRSS of process \(pid)")
            }
            return bytes
        }
        Thread.sleep(forTimeInterval: 1)
        let before = try resident()
        let swarm = try ClientSwarm(serverPort: port, sockets: max(1, count / 100), security: security)
        let started = ContinuousClock.now
        try swarm.connect(count, batch: 250, seconds: 600)
        let connectSeconds = (ContinuousClock.now - started) / .seconds(1)
        // Two keep-alive intervals (5 s each): every connection has sent and answered PINGs.
        swarm.pump(seconds: 11)
        let after = try resident()
        let ended = swarm.closed.count
        guard ended == 0 else {
            throw ChildProcess.Failure("\(ended) connections ended while idle: \(Set(swarm.closed.values))\n\(server?.transcript ?? "")")
        }
        if let seconds = Double(environment["RUDP_MEMORY_BENCH_HOLD"] ?? "") { swarm.pump(seconds: seconds) }
        let perConnection = (after - before) / count
        let summary =
            "\(count) idle connections (\(serverArguments.isEmpty ? "plain" : "encrypted")): RSS \(before / 1024) KiB -> \(after / 1024) KiB, "
            + "\(perConnection) bytes per connection (connected in \(String(format: "%.1f", connectSeconds)) s)"
        return (perConnection, summary)
    }

    @Test func idleConnectionsPlain() async throws {
        let count = Self.connectionCount
        let result = try await Self.idleBytesPerConnection(serverArguments: [], count: count, security: nil)
        print("memory bench: \(result.summary)")
        #expect(result.perConnection <= Self.idleBytesLimit, "\(result.summary)")
    }

    @Test func idleConnectionsEncrypted() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rudp-memory-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let keyPath = directory.appendingPathComponent("bench.key").path
        let keygen = try await ChildProcess.run(["keygen", "--output", keyPath], seconds: 60)
        #expect(keygen.status == 0, "\(keygen.error)")
        let count = Self.connectionCount
        let result = try await Self.idleBytesPerConnection(serverArguments: ["--psk-file", keyPath], count: count) {
            let key = try PreSharedKey(contentsOfFile: keyPath)
            let handshake = try PSKHandshakeSecurity(
                configuration: SecurityConfiguration(mode: .encrypted, key: key), randomness: .secure)
            return EndpointSecurity(handshake: handshake)
        }
        print("memory bench: \(result.summary)")
        #expect(result.perConnection <= Self.idleBytesLimit, "\(result.summary)")
    }

    /// The first fragment (one byte) of a 1 MiB message.
    static func firstFragment(channel: UInt8, mode: DeliveryMode, sequence: UInt32) -> Frame {
        .message(MessageFrame(channel: channel, mode: mode, sequence: sequence, totalLength: 1 << 20, offset: 0, payload: [1]))
    }

    @Test func neverCompletedFragments() async throws {
        let report = try await Self.withServer { server, port throws -> (firstPhase: Int, fillPhase: Int, summary: String) in
            Thread.sleep(forTimeInterval: 1)
            let before = try Self.resident(server)
            let swarm = try ClientSwarm(serverPort: port, sockets: 25)
            try swarm.connect(250, batch: 250, seconds: 120)
            swarm.pump(seconds: 1)
            let connected = try Self.resident(server)

            // Phase 1: one ~140-byte datagram per connection, the first fragments of four
            // reliable messages (4 MiB: the whole window) and two unreliable ones.
            let frames: [Frame] =
                (0..<4).map { Self.firstFragment(channel: $0, mode: .reliableOrdered, sequence: 0) }
                + [
                    Self.firstFragment(channel: 0, mode: .unreliable, sequence: 100),
                    Self.firstFragment(channel: 1, mode: .unreliable, sequence: 100),
                ]
            var sentBytes = 0
            for (client, id) in swarm.establishedConnections where swarm.inject(frames, on: id, client: client) {
                sentBytes += Packet(destination: id, packetNumber: 0, body: .data(frames)).encodedSize + 4
            }
            let firstPhase = try Self.settle(server, swarm, seconds: 30)

            // Phase 2: every connection fills channel 0's message with out-of-order fragments
            // (all but its first 2,200 bytes): 250 MiB offered in all.
            let fragment = 1100
            var offset = 2 * fragment
            var fillDatagrams = 0
            while offset < 1 << 20 {
                let payload = [UInt8](repeating: 7, count: min(fragment, (1 << 20) - offset))
                let frame = Frame.message(
                    MessageFrame(
                        channel: 0, mode: .reliableOrdered, sequence: 0, totalLength: 1 << 20,
                        offset: UInt32(offset), payload: payload))
                for (client, id) in swarm.establishedConnections where swarm.inject([frame], on: id, client: client) {
                    fillDatagrams += 1
                }
                swarm.step()
                offset += fragment
            }
            let fillPhase = try Self.settle(server, swarm, seconds: 30)
            let established = swarm.establishedConnections.count
            let summary = """
                250 connections: RSS \(before / 1024) KiB at start, \(connected / 1024) KiB connected, \
                \(firstPhase / 1024) KiB after the first fragments (\(sentBytes) bytes sent), \
                \(fillPhase / 1024) KiB after \(fillDatagrams) out-of-order fill datagrams; \
                \(established) connections still established, \(swarm.closed.count) closed (\(Set(swarm.closed.values)))
                """
            return (firstPhase - connected, fillPhase - connected, summary)
        }
        print("memory bench: \(report.summary)")
        // The first fragments pin only what arrived (plus bookkeeping), not the claimed lengths.
        #expect(report.firstPhase < 32 << 20, "\(report.summary)")
        // The fill is bounded by the endpoint's budget (128 MiB by default) plus allocator slack.
        #expect(report.fillPhase < 200 << 20, "\(report.summary)")
    }
}
