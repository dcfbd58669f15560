/// What a ``MemoryAttackerNode`` does: how many connections it opens to the server, which
/// receive-memory attack each one runs, and how fast. Everything random is drawn from ``seed``.
///
/// ```swift
/// var options = MemoryAttackOptions(seed: 5)
/// options.connections = 24
/// options.patterns = [.outOfOrderFill]
/// ```
public struct MemoryAttackOptions: Sendable, Hashable, CustomStringConvertible {
    /// A way of making a receiver hold data it can never deliver.
    public enum Pattern: String, Sendable, Hashable, CaseIterable {
        /// The first fragment (one byte) of messages that claim the server's maximum message
        /// size: reliable ones up to the flow-control window, then new unreliable ones forever.
        case firstFragments
        /// Fragments of full-window reliable messages, everything but their first bytes, so they
        /// never complete: the peer's whole window held as out-of-order data.
        case outOfOrderFill
        /// One-byte fragments, many per datagram, at every other offset of reliable messages
        /// that never complete: bookkeeping rather than bytes.
        case tinyPieces
    }

    /// Seed of the attacker's choices (patterns, connection IDs).
    public var seed: UInt64
    /// Connections opened to the server.
    public var connections: Int = 8
    /// The patterns; connection `i` runs `patterns[i % patterns.count]`.
    public var patterns: [Pattern] = Pattern.allCases
    /// Forged datagrams per connection and round.
    public var datagramsPerRound: Int = 4
    /// Time between rounds; the first starts once every connection is established.
    public var roundInterval: Duration = .milliseconds(20)
    /// Rounds of forged datagrams.
    public var rounds: Int = 100

    /// Default settings with the given seed.
    public init(seed: UInt64) {
        self.seed = seed
    }

    /// A one-line summary of these values, as reports print them.
    public var description: String {
        "memory attack(seed \(seed), \(connections) connections, \(patterns.map(\.rawValue).joined(separator: "/")), "
            + "\(datagramsPerRound) datagrams every \(roundInterval) for \(rounds) rounds)"
    }
}
