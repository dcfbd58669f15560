import NIOCore

/// Collects the fragments of one message as they arrive, without allocating the length the
/// message claims: each fragment's new bytes are copied, once, out of the received packet into
/// an engine-owned array (a *chunk*), and the message's `ByteBuffer` is built once, when
/// complete, by copying the chunks into it: the "one more copy" a reassembled message takes.
/// Writing fragments straight into a buffer of the message's total length would save that copy
/// but allocate the length a fragment *claims* (up to the maximum message size) before any of
/// it arrived; chunks keep the memory held, and counted, to what was received.
///
/// Overlapping and duplicated fragments are harmless: only bytes not yet received are kept (the
/// first copy of a byte wins). The number of separate received intervals is bounded against
/// hostile fragment patterns (``maximumIntervals``); ``memory`` is what the chunks hold (their
/// arrays' capacity), counted as in ``ReceiveMemory``.
///
/// Small fragments that arrive in order are appended to the chunk they continue, in chunks of
/// ``mergedChunkCapacity`` bytes, so a sender with tiny fragments costs bytes, not bookkeeping;
/// fragments of ordinary size get a chunk each.
struct MessageReassembly {
    static let maximumIntervals = 4096
    /// A fragment shorter than this is appended to the chunk it continues.
    static let smallFragment = 256
    /// The capacity of a chunk that small fragments are appended to.
    static let mergedChunkCapacity = 4096

    /// Bytes of the message starting at `offset`.
    struct Chunk {
        var offset: Int
        var bytes: [UInt8]
        var end: Int { offset + bytes.count }
    }

    let totalLength: Int
    /// Disjoint chunks in ascending order of offset; neighbours may touch.
    private var chunks: [Chunk] = []
    /// Bytes received so far (the sum of the chunks' lengths).
    private(set) var receivedBytes = 0
    /// Bytes allocated for them (the sum of the chunks' capacities).
    private(set) var storedBytes = 0
    /// Maximal runs of contiguous received bytes.
    private(set) var intervalCount = 0

    init(totalLength: Int) {
        self.totalLength = totalLength
    }

    /// The memory held: the chunks' capacity plus ``ReceiveMemory/overhead`` per chunk.
    var memory: Int { storedBytes + chunks.count * ReceiveMemory.overhead }

    /// Number of chunks held.
    var chunkCount: Int { chunks.count }

    var isComplete: Bool { receivedBytes == totalLength }

    enum InsertResult { case added, duplicate, tooFragmented }

    /// Keeps the bytes of a fragment that were not received yet (an array's bytes; for tests).
    mutating func insert(offset: Int, payload: [UInt8]) -> InsertResult {
        payload.withUnsafeBytes { insert(offset: offset, payload: $0) }
    }

    /// Keeps the bytes of a fragment that were not received yet, read from the received packet:
    /// one copy of the new bytes (a new chunk, or appended to the chunk a small fragment
    /// continues), none of a duplicate. The caller has checked `offset + payload.count <= totalLength`.
    mutating func insert(offset: Int, payload: UnsafeRawBufferPointer) -> InsertResult {
        let lower = offset, upper = offset + payload.count
        if payload.isEmpty { return .duplicate }
        // Fast path: at or beyond the end of everything received (in order, or a gap ahead).
        if chunks.isEmpty || chunks[chunks.count - 1].end <= lower {
            let last = chunks.count - 1
            let extendsLast = !chunks.isEmpty && chunks[last].end == lower
            if extendsLast && chunks[last].bytes.count + payload.count <= Self.mergedChunkCapacity
                && (payload.count < Self.smallFragment || chunks[last].bytes.capacity >= Self.mergedChunkCapacity)
            {
                storedBytes -= chunks[last].bytes.capacity
                if chunks[last].bytes.capacity < chunks[last].bytes.count + payload.count {
                    chunks[last].bytes.reserveCapacity(Self.mergedChunkCapacity)
                }
                chunks[last].bytes.append(contentsOf: payload)
                storedBytes += chunks[last].bytes.capacity
                receivedBytes += payload.count
                return .added
            }
            if !extendsLast {
                if intervalCount >= Self.maximumIntervals { return .tooFragmented }
                intervalCount += 1
            }
            let bytes = Array(payload)
            chunks.append(Chunk(offset: lower, bytes: bytes))
            receivedBytes += bytes.count
            storedBytes += bytes.capacity
            return .added
        }
        // The first chunk that ends at or after `lower` (ends ascend: the chunks are disjoint).
        var first = 0, limit = chunks.count
        while first < limit {
            let mid = (first + limit) / 2
            if chunks[mid].end < lower { first = mid + 1 } else { limit = mid }
        }
        // Walk the chunks that touch [lower, upper): count the runs they form (all merge into
        // one) and find the gaps between them that this fragment fills.
        var runs = 0
        var gaps: [Range<Int>] = []
        var cursor = lower
        var past = first
        while past < chunks.count && chunks[past].offset <= upper {
            let chunk = chunks[past]
            if past == first || chunks[past - 1].end != chunk.offset { runs += 1 }
            if chunk.offset > cursor { gaps.append(cursor..<min(chunk.offset, upper)) }
            cursor = max(cursor, chunk.end)
            past += 1
        }
        if cursor < upper { gaps.append(cursor..<upper) }
        if gaps.isEmpty { return .duplicate }
        if runs == 0 && intervalCount >= Self.maximumIntervals { return .tooFragmented }
        intervalCount += 1 - runs
        var merged: [Chunk] = []
        merged.reserveCapacity(past - first + gaps.count)
        var gapIndex = 0
        for index in first..<past {
            while gapIndex < gaps.count && gaps[gapIndex].lowerBound < chunks[index].offset {
                merged.append(piece(gaps[gapIndex], of: payload, at: lower))
                gapIndex += 1
            }
            merged.append(chunks[index])
        }
        while gapIndex < gaps.count {
            merged.append(piece(gaps[gapIndex], of: payload, at: lower))
            gapIndex += 1
        }
        chunks.replaceSubrange(first..<past, with: merged)
        return .added
    }

    /// A new chunk for the part `range` (message offsets) of a fragment that starts at `start`;
    /// counts its bytes.
    private mutating func piece(_ range: Range<Int>, of payload: UnsafeRawBufferPointer, at start: Int) -> Chunk {
        let bytes = Array(UnsafeRawBufferPointer(rebasing: payload[(range.lowerBound - start)..<(range.upperBound - start)]))
        receivedBytes += bytes.count
        storedBytes += bytes.capacity
        return Chunk(offset: range.lowerBound, bytes: bytes)
    }

    /// The complete message: the chunks copied, in order, into a new buffer of exactly
    /// ``totalLength`` bytes; leaves the reassembly empty. Call only when ``isComplete``.
    mutating func takeMessage() -> ByteBuffer {
        defer {
            chunks = []
            receivedBytes = 0
            storedBytes = 0
            intervalCount = 0
        }
        var message = ByteBufferAllocator().buffer(capacity: totalLength)
        // Complete: the chunks are disjoint, ascending and cover 0 ..< totalLength without gaps.
        for chunk in chunks {
            chunk.bytes.withUnsafeBytes { _ = message.writeBytes($0) }
        }
        return message
    }
}
