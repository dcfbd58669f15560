import RUDPImpairment

/// Why an experiment (a `rudp simulate` run) could not be set up: a bad option value, an
/// unknown option name, an inconsistent setup or a malformed scenario.
///
/// An extensible struct rather than an enum (swift-nio-ssh's `NIOSSHError` pattern): errors are
/// made by static factories (`.invalidValue(parameter:value:reason:)`, ...) and told apart by
/// ``code``, whose values can grow without breaking a user's `switch`. Every error carries
/// enough text (``description``) to tell the user what to change.
///
/// ```swift
/// do {
///     try ExperimentParameter.loss.apply("1.5", to: &setup)
/// } catch {
///     print(error)                        // invalid value "1.5" for loss: a probability must be between 0 and 1 (or 0% to 100%)
///     print(error.code == .invalidValue)  // true
/// }
/// ```
public struct ExperimentError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of error; compare with the static values (`error.code == .invalidSetup`).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case invalidValue, unknownParameter, invalidSetup, invalidScenario
        }

        private let base: Base

        /// A value is not acceptable for its option.
        public static let invalidValue = Code(base: .invalidValue)
        /// No option has the name given.
        public static let unknownParameter = Code(base: .unknownParameter)
        /// The options are individually valid but do not fit together.
        public static let invalidSetup = Code(base: .invalidSetup)
        /// A scenario file or timeline is malformed.
        public static let invalidScenario = Code(base: .invalidScenario)

        /// The code's name.
        public var description: String {
            switch base {
            case .invalidValue: "invalid value"
            case .unknownParameter: "unknown parameter"
            case .invalidSetup: "invalid setup"
            case .invalidScenario: "invalid scenario"
            }
        }
    }

    /// The kind of error.
    public let code: Code
    /// The message shown to the user.
    public let description: String

    private init(code: Code, description: String) {
        self.code = code
        self.description = description
    }

    /// `value` is not acceptable for the option `parameter`; `reason` says what is expected.
    public static func invalidValue(parameter: String, value: String, reason: String) -> ExperimentError {
        ExperimentError(ImpairmentError.invalidValue(parameter: parameter, value: value, reason: reason))
    }

    /// No option is called `name`; `known` lists the names that exist.
    public static func unknownParameter(name: String, known: [String]) -> ExperimentError {
        ExperimentError(
            code: .unknownParameter,
            description: "unknown option \"\(name)\"; known options: \(known.joined(separator: ", "))")
    }

    /// The options are individually valid but do not fit together: `why`.
    public static func invalidSetup(_ why: String) -> ExperimentError {
        ExperimentError(code: .invalidSetup, description: "invalid setup: \(why)")
    }

    /// A scenario file or timeline is malformed: `why`.
    public static func invalidScenario(_ why: String) -> ExperimentError {
        ExperimentError(code: .invalidScenario, description: "invalid scenario: \(why)")
    }

    /// A refused value of the shared vocabulary (see `Quantity`), as an `invalidValue` error.
    public init(_ error: ImpairmentError) {
        self.init(code: .invalidValue, description: error.description)
    }
}
