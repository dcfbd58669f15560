import RUDPImpairment

/// A failed check in a simulation, with what it takes to reproduce it: the seed and the
/// options (or a whole ``SimulationReport``).
///
/// ```swift
/// guard converged else { throw simulator.failure("did not converge after healing") }
///
/// // Or, in a Swift Testing expectation:
/// #expect(lossRate < 0.2, "\(SimulationFailure.reproduction(seed: seed, options: options))")
/// // → "seed 42, options LinkOptions(delay: 10.0ms, jitter: 0.0ms, loss: 0.1, …)"
/// ```
public struct SimulationFailure: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public var message: String
    /// The seed that reproduces the run.
    public var seed: UInt64
    /// The options, or the full report, of the failing run.
    public var context: String

    /// A failure of a run with `seed` over links with `options`.
    public init(_ message: String, seed: UInt64, options: [LinkOptions] = []) {
        self.message = message
        self.seed = seed
        self.context = Self.reproduction(seed: seed, options: options)
    }

    /// A failure of the run described by `report`.
    public init(_ message: String, report: SimulationReport) {
        self.message = message
        self.seed = report.seed
        self.context = report.description
    }

    /// `"seed S, options …"`: the line to put in any failure message of a randomized test.
    public static func reproduction(seed: UInt64, options: LinkOptions...) -> String {
        reproduction(seed: seed, options: options)
    }

    /// `"seed S, options …"` for several links (in connection order).
    public static func reproduction(seed: UInt64, options: [LinkOptions]) -> String {
        switch options.count {
        case 0: "seed \(seed)"
        case 1: "seed \(seed), options \(options[0])"
        default: "seed \(seed), options [\(options.map(\.description).joined(separator: "; "))]"
        }
    }

    /// The message, then how to reproduce it.
    public var description: String {
        "\(message)\nreproduce with: \(context)"
    }
}
