/// A size option in bytes (`queue`, `mtu`): `65536`, `64KiB`, `100KB`, or `off` for no limit.
/// A bare number is a number of bytes.
///
/// ```swift
/// let queue = try ImpairmentSize(parsing: "64KiB", for: "queue")   // 65_536 bytes
/// ```
public struct ImpairmentSize: ImpairmentValue {
    /// The size in bytes, or nil for `off` (no limit).
    public var bytes: Int?

    /// A size of `bytes`, or no limit.
    public init(bytes: Int?) {
        self.bytes = bytes
    }

    /// Parses a size of at most 1 TB, or `off`.
    public init(parsing text: String, for parameter: String) throws(ImpairmentError) {
        if ["off", "none", "no"].contains(text.trimmingSpaces.lowercased()) {
            bytes = nil
        } else {
            bytes = try Quantity.bytes(text, for: parameter, range: 0...1_000_000_000_000)
        }
    }

    /// The number of bytes, or `off`.
    public var description: String { bytes.map { "\($0)" } ?? "off" }
}
