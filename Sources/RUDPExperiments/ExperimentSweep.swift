import RUDPCore
import RUDPImpairment
import RUDPSimulation

/// A sweep: one option and the values it takes, one run each.
///
/// ```swift
/// let sweep = try ExperimentSweep(parsing: "loss=0,0.01,0.05,0.1,0.2")
/// ```
public struct ExperimentSweep: Sendable, Equatable {
    /// The option swept.
    public var parameter: ExperimentParameter
    /// Its values, as text, in order.
    public var values: [String]

    /// A sweep of `parameter` over `values`.
    public init(parameter: ExperimentParameter, values: [String]) throws(ExperimentError) {
        guard !values.isEmpty else { throw .invalidValue(parameter: "sweep", value: parameter.name, reason: "give at least one value") }
        guard values.count <= 1_000 else { throw .invalidValue(parameter: "sweep", value: parameter.name, reason: "at most 1000 values") }
        self.parameter = parameter
        self.values = values
    }

    /// Parses `NAME=V1,V2,...`, checking every value against a default setup so a typo fails
    /// before anything runs. Also accepts `NAME=FROM:TO:STEP` for evenly spaced numbers. A
    /// value that has commas of its own (a `burst` model) writes its fields with spaces instead:
    /// `burst=1% 30%,2% 30%`.
    public init(parsing text: String, checkingAgainst setup: ExperimentSetup = ExperimentSetup()) throws(ExperimentError) {
        let parts = text.split(separator: "=", maxSplits: 1)
        guard parts.count == 2 else {
            throw .invalidValue(parameter: "sweep", value: text, reason: "expected NAME=V1,V2,... such as loss=0,0.01,0.05")
        }
        let parameter = try ExperimentParameter.named(String(parts[0]))
        var values = parts[1].split(separator: ",").map { String($0.trimmingSpaces) }.filter { !$0.isEmpty }
        if values.count == 1, parameter != .burst {
            let range = values[0].split(separator: ":")
            if range.count == 3, let from = Double(range[0]), let to = Double(range[1]), let step = Double(range[2]),
                step > 0, to >= from
            {
                let count = Int(((to - from) / step + 1e-9).rounded(.down)) + 1
                guard count <= 1_000 else {
                    throw .invalidValue(parameter: "sweep", value: text, reason: "at most 1000 values")
                }
                values = (0..<count).map { Quantity.trimmed(from + Double($0) * step, digits: 9) }
            }
        }
        try self.init(parameter: parameter, values: values)
        for value in values {
            var scratch = setup
            try parameter.apply(value, to: &scratch)
        }
    }
}
