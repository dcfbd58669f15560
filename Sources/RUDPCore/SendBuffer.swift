import DequeModule
import RUDPWire

/// A reference to one fragment of a message in the send buffer.
struct FragmentRef: Hashable {
    var message: MessageID
    var index: Int
}

/// A message held by the sender until the peer acknowledges all of it (reliable) or until it
/// has been transmitted once (unreliable).
struct OutgoingMessage {
    let id: MessageID
    let channel: UInt8
    let mode: DeliveryMode
    let sequence: UInt32
    let bytes: [UInt8]
    /// Fixed at first transmission: fragment `i` covers `i*fragmentSize ..< min((i+1)*fragmentSize, count)`.
    var fragmentSize = 0
    var fragmentCount = 0
    /// Fragments transmitted at least once.
    var nextFragment = 0
    var acked: [Bool] = []
    var ackedCount = 0

    var isStarted: Bool { fragmentCount > 0 }
    var isFullySent: Bool { isStarted && nextFragment >= fragmentCount }

    mutating func start(fragmentSize: Int) {
        self.fragmentSize = fragmentSize
        fragmentCount = bytes.isEmpty ? 1 : (bytes.count + fragmentSize - 1) / fragmentSize
        if mode.isReliable { acked = Array(repeating: false, count: fragmentCount) }
    }

    func frame(for index: Int) -> MessageFrame {
        let lower = index * fragmentSize
        let upper = min(lower + fragmentSize, bytes.count)
        return MessageFrame(channel: channel, mode: mode, sequence: sequence, totalLength: UInt32(bytes.count),
                            offset: UInt32(lower), payload: Array(bytes[lower..<upper]))
    }

    /// Records the acknowledgement of fragment `index`; returns true when that completed the message.
    mutating func markAcknowledged(fragment index: Int) -> Bool {
        guard !acked[index] else { return false }
        acked[index] = true
        ackedCount += 1
        return ackedCount == fragmentCount
    }

    func encodedSize(of index: Int) -> Int {
        let lower = index * fragmentSize
        return MessageFrame.overhead + min(fragmentSize, bytes.count - lower)
    }
}

/// Everything the sender holds: messages by ID, the order of first transmission, fragments to
/// retransmit, and per-channel sequence state. Bounded in bytes and messages.
///
/// Per-channel state is created when a channel is first used, and the containers give their
/// storage back once empty (``shrinkIfEmpty()``), so an idle connection holds almost nothing.
struct SendBuffer {
    /// One channel's sequence state.
    struct ChannelState {
        /// Reliable messages in sequence order that may still be unacknowledged.
        var reliable: Deque<(sequence: UInt32, id: MessageID)> = []
        var nextReliableSequence: UInt32
        var nextUnreliableSequence: UInt32
    }

    private(set) var messages: [MessageID: OutgoingMessage] = [:]
    /// Messages not yet fully transmitted once, in send order.
    var unsent: Deque<MessageID> = []
    /// Reliable fragments declared lost, in the order they should be retransmitted.
    var retransmissions: Deque<FragmentRef> = []
    /// Channels used so far (index = channel).
    private var channels: [ChannelState] = []
    private let initialSequence: UInt32
    private(set) var bufferedBytes = 0
    private var nextID: UInt64 = 0

    init(initialSequence: UInt32) {
        self.initialSequence = initialSequence
    }

    var count: Int { messages.count }
    var isEmpty: Bool { messages.isEmpty }

    mutating func enqueue(_ bytes: [UInt8], channel: UInt8, mode: DeliveryMode) -> MessageID {
        let id = MessageID(nextID)
        nextID += 1
        let c = Int(channel)
        if c >= channels.count {
            channels.reserveCapacity(c + 1)
            while channels.count <= c {
                channels.append(ChannelState(nextReliableSequence: initialSequence, nextUnreliableSequence: initialSequence))
            }
        }
        let seq: UInt32
        if mode.isReliable {
            seq = channels[c].nextReliableSequence
            channels[c].nextReliableSequence &+= 1
            channels[c].reliable.append((seq, id))
        } else {
            seq = channels[c].nextUnreliableSequence
            channels[c].nextUnreliableSequence &+= 1
        }
        messages[id] = OutgoingMessage(id: id, channel: channel, mode: mode, sequence: seq, bytes: bytes)
        unsent.append(id)
        bufferedBytes += bytes.count
        return id
    }

    subscript(id: MessageID) -> OutgoingMessage? {
        get { messages[id] }
        _modify { yield &messages[id] }
    }

    /// Records the acknowledgement of one fragment; returns true when that completed the message.
    mutating func markAcknowledged(_ ref: FragmentRef) -> Bool {
        // One hash lookup: this runs for every fragment of every acknowledged packet.
        guard let index = messages.index(forKey: ref.message) else { return false }
        return messages.values[index].markAcknowledged(fragment: ref.index)
    }

    /// Removes a message (acknowledged, fully sent unreliable, or failed).
    mutating func release(_ id: MessageID) {
        if let m = messages.removeValue(forKey: id) {
            bufferedBytes -= m.bytes.count
            if m.mode.isReliable {
                let c = Int(m.channel)
                while let first = channels[c].reliable.first, messages[first.id] == nil {
                    channels[c].reliable.removeFirst()
                }
            }
        }
    }

    /// The oldest reliable sequence on `channel` that is not yet acknowledged, if any.
    func oldestUnacknowledged(channel: UInt8) -> UInt32? {
        Int(channel) < channels.count ? channels[Int(channel)].reliable.first?.sequence : nil
    }

    /// Gives the containers' storage back if the buffer is empty (the connection went idle).
    mutating func shrinkIfEmpty() {
        guard messages.isEmpty else { return }
        messages = [:]
        unsent = []
        retransmissions = []
        for c in channels.indices where channels[c].reliable.isEmpty { channels[c].reliable = [] }
    }

    /// Removes everything and returns the IDs of reliable messages that were never acknowledged, in order.
    mutating func drainUnacknowledged() -> [MessageID] {
        let ids = messages.values.filter { $0.mode.isReliable }.map(\.id).sorted()
        messages = [:]
        unsent = []
        retransmissions = []
        for c in channels.indices { channels[c].reliable = [] }
        bufferedBytes = 0
        return ids
    }
}
