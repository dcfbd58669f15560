/// The bursty-loss option (`burst`): Gilbert-Elliott loss as tc-netem's `gemodel p r 1-h 1-k`,
/// written `P,R[,1-H[,1-K]]` (e.g. `1%,30%`), or `off` (see ``Quantity/burst(_:for:)``).
///
/// ```swift
/// let burst = try ImpairmentBurst(parsing: "1%,30%", for: "burst")
/// print(burst.model?.meanBurstLength ?? 0)   // 3.33…
/// ```
public struct ImpairmentBurst: ImpairmentValue {
    /// The model, or nil for no bursty loss.
    public var model: LinkOptions.GilbertElliott?

    /// Bursty loss following `model`, or none.
    public init(_ model: LinkOptions.GilbertElliott?) {
        self.model = model
    }

    /// Parses `P,R[,1-H[,1-K]]`, `gemodel P R ...`, the older `LOSS:LENGTH`, or `off`.
    public init(parsing text: String, for parameter: String) throws(ImpairmentError) {
        model = try Quantity.burst(text, for: parameter)
    }

    /// `P,R[,1-H[,1-K]]` in percent, or `off`.
    public var description: String { Quantity.formatBurst(model) }
}
