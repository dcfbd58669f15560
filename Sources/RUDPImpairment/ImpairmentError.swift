/// Why a value of an impairment option (`delay`, `loss`, `rate`, `burst`, `queue`, ...) or of
/// another quantity was refused: the option, the text given and what was expected.
///
/// An extensible struct rather than an enum (swift-nio-ssh's `NIOSSHError` pattern): new kinds
/// of error are new ``Code`` values, so a `switch` over ``code`` written today keeps compiling.
///
/// ```swift
/// do {
///     _ = try ImpairmentTime(parsing: "20", for: "delay")
/// } catch {
///     print(error)   // invalid value "20" for delay: a time needs a unit: 20ms, 500us or 1s
///     print(error.code == .invalidValue)   // true
/// }
/// ```
public struct ImpairmentError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of error; compare with the static values (`error.code == .invalidValue`).
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: Sendable, Hashable {
            case invalidValue
        }

        private let base: Base

        /// The text is not a valid value for the option.
        public static let invalidValue = Code(base: .invalidValue)

        /// The code's name.
        public var description: String {
            switch base {
            case .invalidValue: "invalid value"
            }
        }
    }

    /// The kind of error.
    public let code: Code
    /// The option the value was for, e.g. `delay`.
    public let parameter: String
    /// The text that was refused.
    public let value: String
    /// What was expected instead, for a person.
    public let reason: String

    private init(code: Code, parameter: String, value: String, reason: String) {
        self.code = code
        self.parameter = parameter
        self.value = value
        self.reason = reason
    }

    /// `value` is not acceptable for `parameter`; `reason` says what is expected.
    public static func invalidValue(parameter: String, value: String, reason: String) -> ImpairmentError {
        ImpairmentError(code: .invalidValue, parameter: parameter, value: value, reason: reason)
    }

    /// `invalid value "VALUE" for PARAMETER: REASON`.
    public var description: String {
        "invalid value \"\(value)\" for \(parameter): \(reason)"
    }
}
