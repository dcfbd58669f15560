/// One of the two directions of traffic through a ``UDPProxy``.
///
/// ```swift
/// try await proxy.update(.up, Impairments(loss: 0.1))
/// ```
public enum ProxyDirection: String, Sendable, Hashable, CaseIterable, Codable, CustomStringConvertible {
    /// From clients to the upstream.
    case up
    /// From the upstream back to clients.
    case down

    /// `up` or `down`.
    public var description: String { rawValue }
}

/// A choice of directions: up, down or both, e.g. for ``UDPProxy/partition(for:directions:)``.
///
/// ```swift
/// await proxy.partition(for: .seconds(5), directions: .up)
/// ```
public struct ProxyDirections: OptionSet, Sendable, Hashable {
    /// The bits of the set.
    public let rawValue: UInt8

    /// Creates a set from its bits.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// From clients to the upstream.
    public static let up = ProxyDirections(rawValue: 1)
    /// From the upstream back to clients.
    public static let down = ProxyDirections(rawValue: 2)
    /// Both directions.
    public static let both: ProxyDirections = [.up, .down]

    /// Whether `direction` is in the set.
    public func includes(_ direction: ProxyDirection) -> Bool {
        switch direction {
        case .up: contains(.up)
        case .down: contains(.down)
        }
    }
}
