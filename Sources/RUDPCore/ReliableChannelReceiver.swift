import RUDPWire

/// Receive state of one channel's reliable messages: reassembly, deduplication by sequence
/// number (serial arithmetic, so the 32-bit sequence may wrap), and ordered release.
struct ReliableChannelReceiver {
    enum Entry {
        case partial(MessageReassembly, DeliveryMode)
        case complete([UInt8])           // ordered, waiting for earlier messages
        case delivered                   // unordered, already handed out
    }

    /// The oldest sequence not yet delivered or passed.
    private(set) var nextToDeliver: UInt32
    private var entries: [UInt32: Entry] = [:]

    init(initialSequence: UInt32) { nextToDeliver = initialSequence }

    enum Outcome {
        case duplicate
        /// A new message started: its total length is charged against flow control.
        case accepted(newMessageBytes: Int?)
        case violation(String)
    }

    /// Takes one reliable fragment; appends completed, deliverable messages to `deliver`.
    mutating func receive(_ frame: MessageFrame, window: UInt16, maxMessageSize: Int, deliver: (ReceivedMessage) -> Void) -> Outcome {
        let distance = frame.sequence &- nextToDeliver
        if distance >= 1 << 31 { return .duplicate }   // behind the window: already delivered
        if distance >= UInt32(window) { return .violation("message sequence beyond the message window") }
        var newBytes: Int? = nil
        var completed: [UInt8]? = nil
        switch entries[frame.sequence] {
        case .delivered?, .complete?:
            return .duplicate
        case .partial(var r, let mode)?:
            if r.totalLength != Int(frame.totalLength) || mode != frame.mode {
                return .violation("fragments of one message disagree on its length or mode")
            }
            entries[frame.sequence] = nil   // avoid copy-on-write of the buffer
            switch r.insert(offset: Int(frame.offset), payload: frame.payload) {
            case .duplicate:
                entries[frame.sequence] = .partial(r, mode)
                return .duplicate
            case .tooFragmented:
                return .violation("message arrived in too many separate pieces")
            case .added:
                if r.isComplete { completed = r.buffer } else { entries[frame.sequence] = .partial(r, mode) }
            }
        case nil:
            let total = Int(frame.totalLength)
            if total > maxMessageSize { return .violation("message of \(total) bytes exceeds the maximum message size") }
            newBytes = total
            if frame.offset == 0 && frame.payload.count == total {
                completed = frame.payload
            } else {
                var r = MessageReassembly(totalLength: total)
                _ = r.insert(offset: Int(frame.offset), payload: frame.payload)
                entries[frame.sequence] = .partial(r, frame.mode)
            }
        }
        if let bytes = completed {
            let message = ReceivedMessage(bytes: bytes, channel: frame.channel, mode: frame.mode)
            if frame.mode.isOrdered && frame.sequence != nextToDeliver {
                entries[frame.sequence] = .complete(bytes)
            } else {
                deliver(message)
                if frame.sequence == nextToDeliver {
                    nextToDeliver &+= 1
                } else {
                    entries[frame.sequence] = .delivered
                }
                advance(channel: frame.channel, deliver: deliver)
            }
        }
        return .accepted(newMessageBytes: newBytes)
    }

    private mutating func advance(channel: UInt8, deliver: (ReceivedMessage) -> Void) {
        while let entry = entries[nextToDeliver] {
            switch entry {
            case .partial: return
            case .delivered:
                entries[nextToDeliver] = nil
            case .complete(let bytes):
                entries[nextToDeliver] = nil
                deliver(ReceivedMessage(bytes: bytes, channel: channel, mode: .reliableOrdered))
            }
            nextToDeliver &+= 1
        }
    }

    /// Messages held (partial, waiting or delivered markers).
    var heldCount: Int { entries.count }
}
