/// Collects the fragments of one message into a buffer of its full length.
///
/// Tracks received byte intervals, so duplicated or overlapping fragments are harmless; the
/// number of separate intervals is bounded against hostile fragment patterns.
struct MessageReassembly {
    static let maximumIntervals = 4096

    let totalLength: Int
    private(set) var buffer: [UInt8]
    /// Disjoint, non-adjacent, ascending received intervals [lower, upper).
    private var intervals: [(lower: Int, upper: Int)] = []

    init(totalLength: Int) {
        self.totalLength = totalLength
        self.buffer = Array(repeating: 0, count: totalLength)
    }

    var isComplete: Bool {
        totalLength == 0 || (intervals.count == 1 && intervals[0].lower == 0 && intervals[0].upper == totalLength)
    }

    enum InsertResult { case added, duplicate, tooFragmented }

    /// Copies a fragment in. The caller has checked `offset + payload.count <= totalLength`.
    mutating func insert(offset: Int, payload: [UInt8]) -> InsertResult {
        let lower = offset, upper = offset + payload.count
        if payload.isEmpty { return .duplicate }
        // fast path: appending in order
        if let last = intervals.last, last.upper == lower {
            buffer.replaceSubrange(lower..<upper, with: payload)
            intervals[intervals.count - 1].upper = upper
            return .added
        }
        // find the first interval whose upper >= lower
        var lo = 0, hi = intervals.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if intervals[mid].upper < lower { lo = mid + 1 } else { hi = mid }
        }
        if lo < intervals.count && intervals[lo].lower <= lower && intervals[lo].upper >= upper { return .duplicate }
        // merge every interval that touches [lower, upper)
        var newLower = lower, newUpper = upper
        var end = lo
        while end < intervals.count && intervals[end].lower <= upper {
            newLower = min(newLower, intervals[end].lower)
            newUpper = max(newUpper, intervals[end].upper)
            end += 1
        }
        if end == lo && intervals.count >= Self.maximumIntervals { return .tooFragmented }
        buffer.replaceSubrange(lower..<upper, with: payload)
        intervals.replaceSubrange(lo..<end, with: [(newLower, newUpper)])
        return .added
    }
}
