/// A time option (`delay`, `jitter`, `reorder-delay`): `20ms`, `500us`, `1.5s`, or `0`.
/// A bare number other than `0` is refused (see ``Quantity/duration(_:for:)``).
///
/// ```swift
/// let delay = try ImpairmentTime(parsing: "20ms", for: "delay")   // .milliseconds(20)
/// ```
public struct ImpairmentTime: ImpairmentValue {
    /// The time.
    public var duration: Duration

    /// A time of `duration` (not negative).
    public init(_ duration: Duration) {
        self.duration = duration
    }

    /// Parses a time with its unit.
    public init(parsing text: String, for parameter: String) throws(ImpairmentError) {
        duration = try Quantity.duration(text, for: parameter)
    }

    /// The time with the largest unit that keeps it exact: `20ms`, `1500us`.
    public var description: String { Quantity.exactDuration(duration) }
}
