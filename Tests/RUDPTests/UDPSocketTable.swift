import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Whether a UDP port is still held by a socket of this machine: how the scoped-API and
/// lifecycle tests see that a socket was really closed, not only that the connection ended.
///
/// The probe binds a UDP socket of its own to the wildcard address and that port (without
/// `SO_REUSEADDR`/`SO_REUSEPORT`), which the kernel refuses with `EADDRINUSE` while any socket,
/// on any local address, holds the port. (Reading `/proc/net/udp` instead can miss a line
/// while other tests open and close sockets.)
///
/// ```swift
/// #expect(UDPSocketTable.isBound(port: 9000) == false)
/// ```
enum UDPSocketTable {
    /// Whether any UDP socket holds `port` on IPv4.
    static func isBound(port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { return true }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = INADDR_ANY
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return result != 0 && errno == EADDRINUSE
    }

    /// Waits until no socket holds `port` (closing is asynchronous on the event loop); false
    /// if one still does after `HangGuard.seconds`.
    static func waitUntilUnbound(port: Int) async -> Bool {
        (try? await eventually(within: HangGuard.seconds) { !isBound(port: port) }) ?? false
    }
}
