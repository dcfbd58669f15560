import Foundation
import RUDP

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A blocking IPv4 UDP socket on 127.0.0.1 written against the C socket API, so tests can
/// talk to the proxy with code that shares nothing with it.
final class PlainUDPSocket: @unchecked Sendable {
    let descriptor: Int32
    /// The bound port.
    let port: Int

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Binds 127.0.0.1:`port` (0: any free port); receives time out after `receiveTimeout`.
    init(port: Int = 0, receiveTimeout: Double = 0.2) throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed: errno \(errno)") }
        var address = PlainUDPSocket.loopback(port: port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else {
            close(fd)
            throw Failure(description: "bind(127.0.0.1:\(port)) failed: errno \(errno)")
        }
        var bufferSize: Int32 = 4 * 1024 * 1024
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufferSize, socklen_t(MemoryLayout<Int32>.size))
        var local = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.descriptor = fd
        self.port = Int(UInt16(bigEndian: local.sin_port))
        setReceiveTimeout(receiveTimeout)
    }

    /// How long ``receive(flags:)`` waits for a datagram.
    func setReceiveTimeout(_ seconds: Double) {
        var timeout = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1e6))
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    /// Sends `bytes` to 127.0.0.1:`port`; false if the kernel refused.
    @discardableResult
    func send(_ bytes: [UInt8], toPort port: Int) -> Bool {
        var address = PlainUDPSocket.loopback(port: port)
        return send(bytes, to: &address)
    }

    @discardableResult
    func send(_ bytes: [UInt8], to address: inout sockaddr_in) -> Bool {
        let sent = bytes.withUnsafeBytes { buffer in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(descriptor, buffer.baseAddress, buffer.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        return sent == bytes.count
    }

    /// A datagram already waiting, or nil at once.
    func receiveNow() -> [UInt8]? {
        receive(flags: Int32(MSG_DONTWAIT))?.bytes
    }

    /// The next datagram and its sender, or nil after the receive timeout.
    func receive(flags: Int32 = 0) -> (bytes: [UInt8], from: sockaddr_in)? {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var from = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let count = buffer.withUnsafeMutableBytes { raw in
            withUnsafeMutablePointer(to: &from) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    recvfrom(descriptor, raw.baseAddress, raw.count, flags, $0, &length)
                }
            }
        }
        guard count >= 0 else { return nil }
        return (Array(buffer[0..<count]), from)
    }
}

/// A UDP echo server on its own thread, written against the C socket API (not the proxy's
/// code): every datagram goes back to its sender. It counts what it received and the
/// distinct sender ports.
final class PlainUDPEchoServer: @unchecked Sendable {
    private let socket: PlainUDPSocket
    private let lock = NSLock()
    private var stopped = false
    private var receivedCount = 0
    private var senders: Set<UInt16> = []
    private let finished = DispatchSemaphore(value: 0)

    var port: Int { socket.port }

    init(port: Int = 0) throws {
        socket = try PlainUDPSocket(port: port, receiveTimeout: 0.05)
        let thread = Thread { [self] in run() }
        thread.start()
    }

    private func run() {
        while !lock.withLock({ stopped }) {
            guard let datagram = socket.receive() else { continue }
            let bytes = datagram.bytes
            // Tests in the same process run RUDP endpoints on loopback; a late retransmission
            // aimed at a port this server reused must not be counted as proxy traffic. A valid
            // RUDP datagram (CRC-32C trailer) is never one of these tests' payloads.
            if (try? Datagram.open(bytes)) != nil { continue }
            var from = datagram.from
            lock.withLock {
                receivedCount += 1
                senders.insert(UInt16(bigEndian: from.sin_port))
            }
            socket.send(bytes, to: &from)
        }
        finished.signal()
    }

    /// Datagrams received so far.
    var received: Int { lock.withLock { receivedCount } }
    /// Distinct source ports seen so far.
    var senderPorts: Set<UInt16> { lock.withLock { senders } }

    /// Stops the thread (within about 50 ms).
    func stop() {
        lock.withLock { stopped = true }
        _ = finished.wait(timeout: .now() + 2)
    }
}
