import ArgumentParser
import RUDPImpairment

/// The impairment options of `rudp proxy` and `rudp simulate` as typed arguments: one parser
/// (`RUDPImpairment.Quantity`) and one vocabulary, tc-netem's, for both commands.
///
/// Options use ``parser(_:)`` as their transform, so that a refused value says why
/// (`The value '20' is invalid for '--delay <time>': a time needs a unit: 20ms, 20us or 20s`);
/// the types are also `ExpressibleByArgument` for any option declared without it.
///
/// ```swift
/// @Option(transform: ImpairmentArgument.parser("delay")) var delay: ImpairmentTime?
/// ```
enum ImpairmentArgument {
    /// A transform that parses an option's value with the shared vocabulary; a refused value
    /// throws the reason, which ArgumentParser prints after the option's name.
    static func parser<Value: ImpairmentValue>(_ name: String) -> @Sendable (String) throws -> Value {
        { text in
            do throws(ImpairmentError) {
                return try Value(parsing: text, for: name)
            } catch {
                throw ValidationError(error.reason)
            }
        }
    }

    /// ``parser(_:)`` for a proxy option's `[up:|down:]VALUE`.
    static func directed<Value: ImpairmentValue>(_ name: String) -> @Sendable (String) throws -> Directed<Value> {
        { text in
            do throws(ImpairmentError) {
                return try Directed<Value>(parsing: text, for: name)
            } catch {
                throw ValidationError(error.reason)
            }
        }
    }
}

/// A `rudp proxy` impairment value for both directions (`VALUE`) or one (`up:VALUE`,
/// `down:VALUE`).
struct Directed<Value: ImpairmentValue>: ImpairmentValue {
    /// `up`, `down`, or nil for both directions.
    var direction: String?
    /// The value.
    var value: Value

    /// Parses `[up:|down:]VALUE`.
    init(parsing text: String, for parameter: String) throws(ImpairmentError) {
        let trimmed = String(text.drop { $0 == " " })
        for prefix in ["up", "down"] where trimmed.hasPrefix(prefix + ":") {
            direction = prefix
            value = try Value(parsing: String(trimmed.dropFirst(prefix.count + 1)), for: parameter)
            return
        }
        direction = nil
        value = try Value(parsing: trimmed, for: parameter)
    }

    /// `[up:|down:]VALUE`, as the proxy's settings read it.
    var description: String { direction.map { "\($0):\(value)" } ?? "\(value)" }
}

extension Directed: ExpressibleByArgument {
    init?(argument: String) { try? self.init(parsing: argument, for: "value") }
}

extension ImpairmentTime: ExpressibleByArgument {
    /// Parses a command-line value in the shared impairment vocabulary (nil: a usage error).
    public init?(argument: String) { try? self.init(parsing: argument, for: "time") }
}

extension ImpairmentRate: ExpressibleByArgument {
    /// Parses a command-line value in the shared impairment vocabulary (nil: a usage error).
    public init?(argument: String) { try? self.init(parsing: argument, for: "rate") }
}

extension ImpairmentProbability: ExpressibleByArgument {
    /// Parses a command-line value in the shared impairment vocabulary (nil: a usage error).
    public init?(argument: String) { try? self.init(parsing: argument, for: "probability") }
}

extension ImpairmentSize: ExpressibleByArgument {
    /// Parses a command-line value in the shared impairment vocabulary (nil: a usage error).
    public init?(argument: String) { try? self.init(parsing: argument, for: "size") }
}

extension ImpairmentBurst: ExpressibleByArgument {
    /// Parses a command-line value in the shared impairment vocabulary (nil: a usage error).
    public init?(argument: String) { try? self.init(parsing: argument, for: "burst") }
}
