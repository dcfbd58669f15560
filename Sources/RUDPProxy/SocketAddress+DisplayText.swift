import NIOCore

extension SocketAddress {
    /// `127.0.0.1:9000` or `[::1]:9000`, for log messages.
    var displayText: String {
        let host = ipAddress ?? "\(self)"
        let port = self.port.map { "\($0)" } ?? "?"
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
