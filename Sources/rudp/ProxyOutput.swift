import Foundation
import NIOCore
import RUDPProxy

/// What `rudp proxy` writes to standard output: whole lines, flushed at once so a pipe
/// reader sees each as it is written.
enum ProxyOutput {
    /// Writes `text` and a newline, and flushes.
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    /// Writes a snapshot: several lines of text, or one JSON object tagged with `event`.
    static func statistics(_ statistics: ProxyStatistics, event: String, json: Bool) {
        if json {
            line("{\"event\":\"\(event)\",\"statistics\":\(statistics.jsonLine())}")
        } else {
            line("[\(event)] \(statistics)")
        }
    }

    /// `127.0.0.1:9000` or `[::1]:9000`.
    static func text(_ address: SocketAddress) -> String {
        let host = address.ipAddress ?? "?"
        let port = address.port ?? 0
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
