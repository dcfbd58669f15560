import DequeModule
import RUDPWire

/// Reassembles fragmented unreliable messages within a byte budget, evicting the oldest partial
/// message first. Single-fragment messages pass straight through.
struct UnreliableReassembler {
    struct Key: Hashable { var channel: UInt8; var sequence: UInt32 }
    static let maximumPartialMessages = 64

    private var partial: [Key: MessageReassembly] = [:]
    private var order: Deque<Key> = []
    private var bytes = 0
    private(set) var evicted = 0

    /// Returns the completed message, if this fragment completed one.
    mutating func receive(_ frame: MessageFrame, budget: Int, maxMessageSize: Int) -> [UInt8]? {
        let total = Int(frame.totalLength)
        if total > maxMessageSize || total > budget { return nil }
        if frame.offset == 0 && frame.payload.count == total { return frame.payload }
        let key = Key(channel: frame.channel, sequence: frame.sequence)
        if partial[key] == nil {
            while bytes + total > budget || partial.count >= Self.maximumPartialMessages, let oldest = order.popFirst() {
                if let r = partial.removeValue(forKey: oldest) {
                    bytes -= r.totalLength
                    evicted += 1
                }
            }
            partial[key] = MessageReassembly(totalLength: total)
            order.append(key)
            bytes += total
        }
        guard var r = partial.removeValue(forKey: key) else { return nil }
        if r.totalLength != total { partial[key] = r; return nil }
        _ = r.insert(offset: Int(frame.offset), payload: frame.payload)
        if r.isComplete {
            bytes -= total
            if let i = order.firstIndex(of: key) { order.remove(at: i) }
            return r.buffer
        }
        partial[key] = r
        return nil
    }
}
