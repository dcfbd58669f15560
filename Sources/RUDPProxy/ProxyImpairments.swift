/// The impairments of both directions of a ``UDPProxy``.
///
/// ```swift
/// var impairments = ProxyImpairments(both: Impairments(loss: 0.1))
/// impairments.down.link.delay = .milliseconds(30)
/// try ImpairmentSetting.loss.apply("up:0.2", to: &impairments)
/// ```
public struct ProxyImpairments: Sendable, Equatable, CustomStringConvertible {
    /// From clients to the upstream.
    public var up: Impairments
    /// From the upstream back to clients.
    public var down: Impairments

    /// No impairment in either direction.
    public static let none = ProxyImpairments(up: .none, down: .none)

    /// Different impairments per direction.
    public init(up: Impairments, down: Impairments) {
        self.up = up
        self.down = down
    }

    /// The same impairments in both directions.
    public init(both: Impairments) {
        self.init(up: both, down: both)
    }

    /// The impairments of `direction`.
    public subscript(direction: ProxyDirection) -> Impairments {
        get { direction == .up ? up : down }
        set {
            if direction == .up { up = newValue } else { down = newValue }
        }
    }

    /// Throws ``ProxyError/invalidImpairment(_:)-(String)`` for the first value out of range.
    public func validate() throws(ProxyError) {
        do {
            try up.validate()
            try down.validate()
        } catch {
            throw error
        }
    }

    /// Both directions, one per line.
    public var description: String {
        "up:   \(up)\ndown: \(down)"
    }
}
