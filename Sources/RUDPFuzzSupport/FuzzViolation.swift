import Foundation

/// An invariant a fuzz check found broken, with enough context to understand the failure.
///
/// ```swift
/// if let violation = EngineFuzzer.violation(in: bytes) { print(violation) }
/// ```
public struct FuzzViolation: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was violated and how.
    public var message: String
    /// Index of the operation during which it was detected (engine checks), or nil.
    public var operationIndex: Int?

    /// Creates a violation.
    public init(_ message: String, operationIndex: Int? = nil) {
        self.message = message
        self.operationIndex = operationIndex
    }

    /// The message, prefixed with the operation index when there is one.
    public var description: String {
        if let index = operationIndex { return "operation \(index): \(message)" }
        return message
    }

    /// Writes `message` to standard error, then traps: an optimized build drops the message of
    /// `preconditionFailure`, and the fuzz binaries run without Swift's backtracer.
    public static func trap(_ message: String) -> Never {
        FileHandle.standardError.write(Data("\(message)\n".utf8))
        preconditionFailure(message)
    }
}
