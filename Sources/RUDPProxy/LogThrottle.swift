import RUDPCore

/// Lets one message per kind of fault through per second, counting the others, so a flood
/// (of new clients, refused datagrams, failed writes) cannot flood the log.
struct LogThrottle {
    /// The kinds of fault logged.
    enum Kind: Hashable {
        case flowLimit, backlogFull, sendFailed, flowFailed, upstreamError, listenError
    }

    private var lastLogged: [Kind: Timestamp] = [:]
    private var suppressed: [Kind: Int] = [:]
    private let interval: UInt64 = 1_000_000_000

    /// nil if the message must be suppressed; else how many were suppressed since the last one.
    mutating func shouldLog(_ kind: Kind, at now: Timestamp) -> Int? {
        if let last = lastLogged[kind], now.nanoseconds(since: last) < interval {
            suppressed[kind, default: 0] += 1
            return nil
        }
        lastLogged[kind] = now
        defer { suppressed[kind] = 0 }
        return suppressed[kind, default: 0]
    }
}
