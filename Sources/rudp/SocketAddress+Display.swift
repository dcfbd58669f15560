import NIOCore

extension SocketAddress {
    /// `127.0.0.1:9000` or `[::1]:9000` (NIO's own description adds the family and the host name).
    var displayText: String {
        guard let ip = ipAddress, let port else { return description }
        return HostPort(host: ip, port: port).description
    }
}
