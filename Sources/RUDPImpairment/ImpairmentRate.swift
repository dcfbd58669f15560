/// A rate option (`rate`): `100kbit`, `10mbit`, `1gbit`, `2MB/s`, or `off` for unlimited.
/// A bare number other than `0` is refused (see ``Quantity/rate(_:for:)``).
///
/// ```swift
/// let rate = try ImpairmentRate(parsing: "10mbit", for: "rate")   // 1_250_000 bytes per second
/// ```
public struct ImpairmentRate: ImpairmentValue {
    /// Bytes per second, or nil for unlimited.
    public var bytesPerSecond: Int?

    /// A rate of `bytesPerSecond` (positive), or unlimited.
    public init(bytesPerSecond: Int?) {
        self.bytesPerSecond = bytesPerSecond
    }

    /// Parses a rate with its unit, or `off`.
    public init(parsing text: String, for parameter: String) throws(ImpairmentError) {
        bytesPerSecond = try Quantity.rate(text, for: parameter)
    }

    /// The rate in bits per second as tc writes it (`10mbit`), or `off`.
    public var description: String { bytesPerSecond.map(Quantity.exactRate) ?? "off" }
}
