/// A random source that returns the given values in turn (then repeats the last): for engine runs
/// whose connection IDs and challenge data must be exact, such as the appendices of
/// `Specs/PROTOCOL.md`.
struct ScriptedRandom: RandomNumberGenerator {
    private var values: [UInt64]
    private var index = 0

    init(_ values: [UInt64]) {
        precondition(!values.isEmpty)
        self.values = values
    }

    mutating func next() -> UInt64 {
        defer { index = min(index + 1, values.count - 1) }
        return values[index]
    }
}
