import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// In a worker process of `rudp echo-server --processes`: standard input is the read end of a
/// pipe whose write end only the parent holds, so end-of-file there means the parent is gone
/// (however it ended); the worker then shuts down instead of serving on alone.
///
/// ```swift
/// ParentWatch.start { Task { await server.shutdown() } }
/// ```
enum ParentWatch {
    /// Calls `parentGone` once, on a thread of its own, when standard input reaches end-of-file
    /// or fails.
    static func start(_ parentGone: @escaping @Sendable () -> Void) {
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 64)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
                if count > 0 { continue }
                if count < 0 && errno == EINTR { continue }
                break
            }
            parentGone()
        }
        thread.name = "rudp parent watch"
        thread.start()
    }
}
