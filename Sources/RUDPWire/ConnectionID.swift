/// A 64-bit connection identifier chosen by the endpoint that receives packets carrying it.
///
/// Zero is reserved: it appears only as the destination of a CONNECT packet, before the
/// client knows the server's identifier.
public struct ConnectionID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The raw value.
    public var rawValue: UInt64

    /// The reserved "not yet known" identifier.
    public static let none = ConnectionID(0)

    /// The identifier with this 64-bit value (0 is ``none``).
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }

    /// Orders identifiers by value (for sorted output).
    public static func < (lhs: ConnectionID, rhs: ConnectionID) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The value as 16 hexadecimal digits, for example `00000000000000ff`.
    public var description: String {
        let hex = String(rawValue, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
