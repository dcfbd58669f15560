/// Why an experiment (a `rudp simulate` run) could not be set up: a bad option value, an
/// unknown option name, an inconsistent setup or a malformed scenario.
///
/// Every case carries enough text to tell the user what to change.
///
/// ```swift
/// do {
///     try ExperimentParameter.loss.apply("1.5", to: &setup)
/// } catch {
///     print(error)   // invalid value "1.5" for loss: a probability must be between 0 and 1 (or 0% to 100%)
/// }
/// ```
public enum ExperimentError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `value` is not acceptable for the option `parameter`; `reason` says what is expected.
    case invalidValue(parameter: String, value: String, reason: String)
    /// No option is called `name`; `known` lists the names that exist.
    case unknownParameter(name: String, known: [String])
    /// The options are individually valid but do not fit together.
    case invalidSetup(String)
    /// A scenario file or timeline is malformed.
    case invalidScenario(String)

    /// The message shown to the user.
    public var description: String {
        switch self {
        case let .invalidValue(parameter, value, reason):
            return "invalid value \"\(value)\" for \(parameter): \(reason)"
        case let .unknownParameter(name, known):
            return "unknown option \"\(name)\"; known options: \(known.joined(separator: ", "))"
        case let .invalidSetup(why):
            return "invalid setup: \(why)"
        case let .invalidScenario(why):
            return "invalid scenario: \(why)"
        }
    }
}
