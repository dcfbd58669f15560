#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Line-oriented output for the commands: results to standard output (flushed at once, so a
/// reading process sees each line as it happens), diagnostics to standard error.
///
/// ```swift
/// Console.printLine("Hello, Alice!")
/// Console.writeError("warning: retrying\n")
/// ```
enum Console {
    /// Writes `text` and a newline to standard output and flushes it.
    static func printLine(_ text: String) {
        print(text)
        fflush(nil)  // nil: every stream (stdout itself is shared mutable state to Swift 6)
    }

    /// Writes `text` as is to standard error (unbuffered).
    static func writeError(_ text: String) {
        var remaining = Array(text.utf8)[...]
        while !remaining.isEmpty {
            let written = remaining.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            remaining = remaining.dropFirst(written)
        }
    }

    /// Whether standard error is a terminal (progress bars are drawn only then).
    static var standardErrorIsTerminal: Bool {
        isatty(STDERR_FILENO) == 1
    }
}
