/// A probability option (`loss`, `duplicate`, `reorder`, `corrupt`): `1%` or a fraction `0.01`.
///
/// ```swift
/// let loss = try ImpairmentProbability(parsing: "1%", for: "loss")   // 0.01
/// ```
public struct ImpairmentProbability: ImpairmentValue {
    /// The probability, in `0 ... 1`.
    public var value: Double

    /// A probability of `value`, in `0 ... 1`.
    public init(_ value: Double) {
        self.value = value
    }

    /// Parses `1%` or `0.01`.
    public init(parsing text: String, for parameter: String) throws(ImpairmentError) {
        value = try Quantity.probability(text, for: parameter)
    }

    /// The fraction, exactly (`0.01`; `0` and `1` without decimals).
    public var description: String {
        value == value.rounded() && abs(value) <= 1 ? "\(Int(value))" : "\(value)"
    }
}
