import Foundation

/// Which UDP ports have a socket bound on this machine (this network namespace), read from
/// `/proc/net/udp` and `/proc/net/udp6`: how the scoped-API and lifecycle tests see that a
/// socket was really closed, not only that the connection ended.
///
/// ```swift
/// #expect(UDPSocketTable.isBound(port: 9000) == false)
/// ```
enum UDPSocketTable {
    /// Whether any UDP socket (IPv4 or IPv6) is bound to `port`.
    static func isBound(port: Int) -> Bool {
        let suffix = ":" + String(format: "%04X", port)
        for file in ["/proc/net/udp", "/proc/net/udp6"] {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                if fields.count > 1, fields[1].hasSuffix(suffix) { return true }
            }
        }
        return false
    }

    /// Waits until no socket is bound to `port` (closing is asynchronous on the event loop);
    /// false if one still is after `HangGuard.seconds`.
    static func waitUntilUnbound(port: Int) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(HangGuard.seconds)
        while isBound(port: port) {
            if ContinuousClock.now > deadline { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }
}
