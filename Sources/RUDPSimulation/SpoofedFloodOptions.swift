import RUDPCore

/// What a ``SpoofedFlood`` sends: bursts of well-formed datagrams from spoofed source addresses:
/// CONNECTs (each with a fresh client connection ID, or copies of CONNECTs it sent before), or
/// DATA packets for guessed connection IDs. Everything is drawn from ``seed``, so a flooded run
/// is reproduced exactly.
///
/// ```swift
/// var options = SpoofedFloodOptions(seed: 9)
/// options.bursts = [SpoofedFloodBurst(start: .seconds(1), count: 50_000, duration: .milliseconds(1_500)),
///                   SpoofedFloodBurst(start: .seconds(26), count: 10_000, duration: .milliseconds(1_500), resent: true)]
/// ```
public struct SpoofedFloodOptions: Sendable, Hashable, CustomStringConvertible {
    /// The shape of the flood's datagrams.
    public enum Kind: Sendable, Hashable, CustomStringConvertible {
        /// Plain CONNECTs (valid CRC, no cookie): what an attacker without a key sends a plain server.
        case plain
        /// 1,200-byte protected CONNECTs with these flags and a made-up connect-key tag: what an
        /// attacker without the pre-shared key can send a secure server.
        case forgedSecure(PacketFlags)
        /// Not CONNECTs: plain DATA packets (a CLOSE, a PING, or an ACK with MAX_DATA) with a
        /// valid CRC, sent to connection IDs guessed at random (the worker index bits set to
        /// `workerIndex`), from the addresses in `spoofing` (the real peers, to try to move or
        /// end their connections) or, when it is empty, from random ones: what an off-path
        /// attacker who does not know the connection IDs can do.
        case guessedData(workerIndex: UInt8, spoofing: [SimulatedAddress])

        /// A one-line summary of these values, as reports print them.
        public var description: String {
            switch self {
            case .plain: return "plain CONNECTs"
            case .forgedSecure(let flags): return "forged secure CONNECTs (flags \(flags.rawValue))"
            case .guessedData(let worker, let spoofing):
                return
                    "DATA for guessed IDs (worker \(worker)) from \(spoofing.isEmpty ? "random addresses" : "\(spoofing.count) real peers")"
            }
        }
    }

    /// Seed of the flood's generator (addresses, connection IDs, tags).
    public var seed: UInt64
    /// The bursts, in any order.
    public var bursts: [SpoofedFloodBurst] = []
    /// Spoofed sources are node numbers drawn uniformly from this range (far from the real nodes),
    /// unless the kind names the sources.
    public var spoofedNodes: Range<Int> = 1_000_000..<(1_000_000 + (1 << 24))
    /// What the CONNECTs look like.
    public var kind: Kind = .plain
    /// How often the flood injects the CONNECTs due (in batches). Default 1 ms.
    public var tick: Duration = .milliseconds(1)

    /// A flood with no bursts yet.
    public init(seed: UInt64) {
        self.seed = seed
    }

    /// A one-line summary of these values, as reports print them.
    public var description: String {
        "flood(seed \(seed), \(kind), " + bursts.map(\.description).joined(separator: ", ") + ")"
    }
}

/// One burst of a ``SpoofedFlood``: `count` CONNECTs spread evenly over `duration` from `start`.
public struct SpoofedFloodBurst: Sendable, Hashable, CustomStringConvertible {
    /// When the burst starts (from time zero).
    public var start: Duration
    /// How many CONNECTs it sends.
    public var count: Int
    /// Over how long.
    public var duration: Duration
    /// Whether it re-sends CONNECTs of earlier bursts (the same source, client ID and bytes,
    /// drawn at random) rather than new ones.
    public var resent: Bool

    /// A burst of `count` CONNECTs over `duration` from `start`.
    public init(start: Duration, count: Int, duration: Duration, resent: Bool = false) {
        self.start = start
        self.count = count
        self.duration = duration
        self.resent = resent
    }

    /// A one-line summary of these values, as reports print them.
    public var description: String {
        "\(count) \(resent ? "re-sent" : "new") at \(start) over \(duration)"
    }
}
