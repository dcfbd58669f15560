/// A failure of a `rudp` command, reported as `Error: <message>` with a non-zero exit status.
///
/// ```swift
/// throw CLIError("the file is 12 bytes but the header announced 20")
/// ```
struct CLIError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, in words, without a trailing period.
    var message: String

    /// A failure with this message.
    init(_ message: String) {
        self.message = message
    }

    var description: String { message }

    /// A wait that ran out of time.
    static func timedOut(_ what: String, after seconds: Double) -> CLIError {
        CLIError("timed out after \(Format.fixed(seconds, digits: seconds < 10 ? 1 : 0)) s \(what)")
    }
}
