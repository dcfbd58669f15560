import Foundation
import RUDPCore
import RUDPWire

#if canImport(Glibc)
import Glibc
#endif

/// Many client connections to one server, driven by sans-IO ``Endpoint``s over a few nonblocking
/// UDP sockets on one thread, for measurements of a real server process (`rudp echo-server`).
///
/// Socket `i` is bound to 127.`1 + i / 256`.`i % 256`.1 (any port): each socket has its own
/// address and its own /24, so the server's per-address and per-prefix limits do not get in the
/// way (100 connections per socket stay far below both). Every
/// endpoint talks only to the server, so the engine's address type is a placeholder `Int` (0).
///
/// ```swift
/// let swarm = try ClientSwarm(serverPort: port, sockets: 100)
/// try swarm.connect(10_000, batch: 200, seconds: 120)
/// swarm.pump(seconds: 8)   // answer keep-alives for a while
/// ```
final class ClientSwarm {
    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    private struct Client {
        let descriptor: Int32
        let endpoint: Endpoint
        /// Connections opened on this socket, by ID.
        var connections: [ConnectionID] = []
    }

    private var clients: [Client] = []
    private var server = sockaddr_in()
    private var receiveBuffer = [UInt8](repeating: 0, count: 65_536)
    /// Connections that reported `.connected`, and those that ended (with why).
    private(set) var connected = 0
    private(set) var closed: [ConnectionID: CloseReason] = [:]
    /// Datagrams the kernel refused to send (socket buffer full).
    private(set) var sendFailures = 0
    /// Messages received, by connection (only with `recordsMessages`).
    private(set) var received: [ConnectionID: [[UInt8]]] = [:]
    /// Whether ``received`` records the messages that arrive (off for the memory measurements).
    var recordsMessages = false

    /// Opens `sockets` sockets, each with its own client endpoint; `security` builds each
    /// endpoint's security (nil: plain).
    init(
        serverPort: Int, sockets: Int, configuration: ConnectionConfiguration = ConnectionConfiguration(),
        security: (() throws -> EndpointSecurity)? = nil
    ) throws {
        server.sin_family = sa_family_t(AF_INET)
        server.sin_port = UInt16(serverPort).bigEndian
        server.sin_addr.s_addr = inet_addr("127.0.0.1")
        for index in 0..<sockets {
            let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard descriptor >= 0 else { throw Failure("socket() failed: errno \(errno)") }
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            local.sin_port = 0
            let address = "127.\(1 + index / 256).\(index % 256).1"
            local.sin_addr.s_addr = inet_addr(address)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else {
                close(descriptor)
                throw Failure("bind(\(address)) failed: errno \(errno)")
            }
            var size: Int32 = 4 << 20
            setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            setsockopt(descriptor, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            let endpoint = Endpoint(
                configuration: EndpointConfiguration(connection: configuration),
                randomness: SystemRandomNumberGenerator(), security: try security?())
            clients.append(Client(descriptor: descriptor, endpoint: endpoint))
        }
    }

    deinit {
        for client in clients { close(client.descriptor) }
    }

    /// The monotonic clock, as the engine's time.
    static var now: Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Timestamp(nanoseconds: UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec))
    }

    /// Every connection opened so far, with its endpoint.
    var connections: [(endpoint: Endpoint, id: ConnectionID)] {
        clients.flatMap { client in client.connections.map { (client.endpoint, $0) } }
    }

    /// Opens `count` more connections, spread over the sockets, `batch` at a time (each batch
    /// waits until its connections are established); throws if that takes more than `seconds`.
    func connect(_ count: Int, batch: Int = 200, seconds: Double) throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        var opened = 0
        var next = clients.map(\.connections.count).reduce(0, +)
        while opened < count {
            let target = connected + min(batch, count - opened)
            for _ in 0..<min(batch, count - opened) {
                let index = next % clients.count
                let id = clients[index].endpoint.connect(to: 0, at: Self.now)
                clients[index].connections.append(id)
                next += 1
                opened += 1
            }
            let established = eventually(within: (deadline - ContinuousClock.now) / .seconds(1)) {
                connected >= target
            } stepping: {
                if !step() { usleep(200) }
            }
            guard established else {
                throw Failure(
                    "only \(connected) of \(target) connections established within \(seconds) s (\(closed.count) closed: \(Set(closed.values)))"
                )
            }
        }
    }

    /// Runs the endpoints (answering keep-alives) for `seconds`.
    func pump(seconds: Double) {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if !step() { usleep(1000) }
        }
    }

    /// Plain connections only: sends the server a DATA packet carrying `frames` (a packet the
    /// engine would never build, such as first fragments of messages that never complete) on
    /// connection `id` of client endpoint `index`.
    ///
    /// The packet takes a packet number the engine really used, so the server neither drops it
    /// as a duplicate nor acknowledges a number the client never sent: the engine sends a
    /// one-byte unreliable message (never retransmitted), and the datagram that carries it is
    /// replaced by the forged one. Returns false if the engine produced no such datagram.
    @discardableResult
    func inject(_ frames: [Frame], on id: ConnectionID, client index: Int) -> Bool {
        let client = clients[index]
        let now = Self.now
        // Send whatever is pending first, so the next datagram is the one carrying the marker.
        while let (datagram, _) = client.endpoint.pollTransmit(at: now) { send(datagram, on: client.descriptor) }
        guard (try? client.endpoint.send([0xA5], on: id, channel: 0, mode: .unreliable)) != nil else { return false }
        var injected = false
        while let (datagram, _) = client.endpoint.pollTransmit(at: now) {
            if !injected, let packet = try? Datagram.open(datagram), packet.destination != .none, case .data = packet.body {
                var forged = Packet(destination: packet.destination, packetNumber: packet.packetNumber, body: .data(frames)).serialized()
                Datagram.seal(&forged)
                send(forged, on: client.descriptor)
                injected = true
            } else {
                send(datagram, on: client.descriptor)
            }
        }
        return injected
    }

    /// Queues a reliable message on connection `id` of client endpoint `index` (sent by ``step()``).
    func send(_ bytes: [UInt8], on id: ConnectionID, client index: Int) throws {
        _ = try clients[index].endpoint.send(bytes, on: id)
    }

    /// The server's connection ID of connection `id` of client endpoint `index` (the ID the
    /// client's packets carry), once established.
    func serverConnectionID(of id: ConnectionID, client index: Int) -> ConnectionID? {
        guard let connection = clients[index].endpoint.connection(id), connection.state == .established else { return nil }
        return connection.peerID
    }

    /// The established connections: client endpoint index and connection ID.
    var establishedConnections: [(client: Int, id: ConnectionID)] {
        clients.indices.flatMap { index in
            clients[index].connections.compactMap { id in
                clients[index].endpoint.connection(id)?.state == .established ? (index, id) : nil
            }
        }
    }

    /// One round over every socket: datagrams in, timers, datagrams out, events. Returns whether
    /// anything happened.
    @discardableResult
    func step() -> Bool {
        var busy = false
        for index in clients.indices {
            let client = clients[index]
            var now = Self.now
            while true {
                let count = receiveBuffer.withUnsafeMutableBytes { recv(client.descriptor, $0.baseAddress, $0.count, 0) }
                if count <= 0 { break }
                busy = true
                client.endpoint.handle(datagram: Array(receiveBuffer[0..<count]), from: 0, at: now)
            }
            now = Self.now
            if let deadline = client.endpoint.nextDeadline(), deadline <= now {
                client.endpoint.handleTimeout(at: now)
                busy = true
            }
            while let (datagram, _) = client.endpoint.pollTransmit(at: now) {
                send(datagram, on: client.descriptor)
                busy = true
            }
            while let (id, event) = client.endpoint.pollEvent() {
                if case .message(let message) = event { client.endpoint.releaseCredit(message, on: id) }
                switch event {
                case .connected: connected += 1
                case .closed(let reason): closed[id] = reason
                case .message(let message) where recordsMessages: received[id, default: []].append(message.bytes)
                default: break
                }
            }
        }
        return busy
    }

    private func send(_ datagram: [UInt8], on descriptor: Int32) {
        let sent = datagram.withUnsafeBytes { bytes in
            withUnsafePointer(to: &server) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(descriptor, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        if sent != datagram.count { sendFailures += 1 }
    }

    /// The resident set size of process `pid`, in bytes (VmRSS in /proc/`pid`/status).
    static func residentBytes(of pid: Int32) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return nil }
        let digits = line.split(separator: " ").compactMap { Int($0) }
        return digits.first.map { $0 * 1024 }
    }
}
