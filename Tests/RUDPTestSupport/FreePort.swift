import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A UDP port on 127.0.0.1 with nothing behind it, for tests that need a port that refuses
/// datagrams and later gets a server (a child process that binds port 0 and reports its port is
/// simpler when that fits).
///
/// A port the kernel picks for a socket that is then closed (bind to port 0) can be handed out
/// again at once to any other socket bound to port 0, in this test process or another: that
/// made tests fail with "address in use" now and then. ``udp()`` picks instead, at random, a port
/// below the kernel's ephemeral range (`/proc/sys/net/ipv4/ip_local_port_range`), which a bind to
/// port 0 never returns, and checks that it is free.
public enum FreePort {
    /// A free UDP port on 127.0.0.1 below the ephemeral range.
    public static func udp() throws -> Int {
        let low = ephemeralRangeStart()
        let range = 10_000..<max(10_001, low)
        for _ in 0..<100 {
            let port = Int.random(in: range)
            if isFree(port) { return port }
        }
        throw ChildProcess.Failure("no free UDP port in \(range) after 100 tries")
    }

    /// The first port of the kernel's ephemeral range (32768 if it cannot be read).
    static func ephemeralRangeStart() -> Int {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        return text.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } ?? 32_768
    }

    /// Whether a UDP socket can bind 127.0.0.1:`port` now.
    static func isFree(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return bound == 0
    }
}
