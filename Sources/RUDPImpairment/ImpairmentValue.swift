/// A value of one impairment option, read by ``Quantity`` and printed back (`description`) in
/// the same vocabulary, so that `rudp proxy`, `rudp simulate`, sweeps, scenario files and the
/// proxy's control port accept the same text. The command-line tool makes each of these an
/// `ExpressibleByArgument` option.
///
/// ```swift
/// let delay = try ImpairmentTime(parsing: "20ms", for: "delay")
/// print(delay.duration, delay)   // 0.02 seconds 20ms
/// ```
public protocol ImpairmentValue: Sendable, Equatable, CustomStringConvertible {
    /// Parses `text`; `parameter` names the option in the error.
    init(parsing text: String, for parameter: String) throws(ImpairmentError)
}
