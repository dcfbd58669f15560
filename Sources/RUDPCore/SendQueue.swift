import DequeModule
import NIOCore
import RUDPWire

/// Everything the sender holds: the messages, in a ring indexed by their ``MessageID`` (IDs are
/// handed out consecutively, so message `id` sits at `id - oldest`: no dictionary, no hashing),
/// the send position, the fragments to retransmit, and per-channel sequence state. Bounded in
/// bytes and messages.
///
/// Messages are sent in the order they were queued, so the messages not yet fully sent once are
/// exactly those from ``firstUnsent`` on. A message leaves its slot when it is released
/// (acknowledged, sent unreliable, failed); the ring's front moves past released slots.
///
/// Per-channel state is created when a channel is first used, and the containers give their
/// storage back once empty (``shrinkIfEmpty()``), so an idle connection holds almost nothing.
struct SendQueue {
    /// One channel's sequence state.
    struct ChannelState {
        /// Reliable messages in sequence order that may still be unacknowledged.
        var reliable: Deque<(sequence: UInt32, id: MessageID)> = []
        var nextReliableSequence: UInt32
        var nextUnreliableSequence: UInt32
    }

    /// The messages from ``oldestID`` to ``nextID`` (exclusive); released ones are empty slots.
    private var slots = RingBuffer<OutgoingMessage>()
    /// ID of `slots[0]`.
    private var oldestID: UInt64 = 0
    private var nextID: UInt64 = 0
    /// The first message not yet fully sent once; every message from it on is unsent.
    private var unsentID: UInt64 = 0
    /// Reliable fragments declared lost, in the order they should be retransmitted.
    var retransmissions: Deque<FragmentRef> = []
    /// Channels used so far (index = channel).
    private var channels: [ChannelState] = []
    private let initialSequence: UInt32
    private(set) var bufferedBytes = 0
    /// Messages held (not released).
    private(set) var count = 0

    init(initialSequence: UInt32) {
        self.initialSequence = initialSequence
    }

    var isEmpty: Bool { count == 0 }

    /// IDs from the oldest message held to the newest: the ring's length. Larger than ``count``
    /// when newer messages were released before an older one (acknowledged out of order).
    var span: Int { Int(nextID - oldestID) }

    /// Every message with a smaller ID has left the queue (acknowledged, sent unreliably, or
    /// failed): the oldest message held, or ``nextMessageID`` when the queue is empty.
    var releasedBelow: MessageID { MessageID(count == 0 ? nextID : oldestID) }

    /// The ID the next enqueued message gets.
    var nextMessageID: MessageID { MessageID(nextID) }

    mutating func enqueue(_ bytes: ByteBuffer, channel: UInt8, mode: DeliveryMode) -> MessageID {
        let id = MessageID(nextID)
        if slots.isEmpty { oldestID = nextID }
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
        slots.append(OutgoingMessage(bytes: bytes, channel: channel, mode: mode, sequence: seq, isLive: true))
        count += 1
        bufferedBytes += bytes.readableBytes
        return id
    }

    /// The slot position of message `id`, if it is held.
    @inline(__always)
    private func position(of id: MessageID) -> Int? {
        let raw = id.rawValue
        guard raw >= oldestID, raw < nextID else { return nil }
        let position = Int(raw - oldestID)
        return slots[position].isLive ? position : nil
    }

    /// Whether message `id` is held.
    func contains(_ id: MessageID) -> Bool { position(of: id) != nil }

    /// Whether fragment `ref` still awaits its acknowledgement (its message is held and the
    /// fragment not acknowledged).
    func isUnacknowledged(_ ref: FragmentRef) -> Bool {
        guard let position = position(of: ref.message) else { return false }
        return !slots[position].isAcknowledged(ref.index)
    }

    /// The held message `id`; call only for an ID that ``contains(_:)``.
    subscript(id: MessageID) -> OutgoingMessage {
        _read { yield slots[position(of: id)!] }
        _modify { yield &slots[position(of: id)!] }
    }

    /// Writes the next fragment not yet sent of message `id` (held, started) into `builder` if
    /// its frame fits within `limit` bytes of packet, and moves past it: returns the fragment's
    /// index and whether the message is now fully sent; nil (nothing written) if it does not fit.
    /// One access to the message's slot for all of it (each ``subscript(_:)`` looks it up).
    mutating func writeNextFragment(of id: MessageID, into builder: inout PacketBuilder, limit: Int) -> (index: Int, fullySent: Bool)? {
        func writeNext(_ message: inout OutgoingMessage) -> (index: Int, fullySent: Bool)? {
            let index = message.nextFragment
            if builder.size + message.encodedSize(of: index) > limit { return nil }
            message.write(fragment: index, into: &builder)
            message.nextFragment += 1
            return (index, message.isFullySent)
        }
        return writeNext(&slots[position(of: id)!])
    }

    // MARK: - The send position

    /// The first message not yet fully sent, if any.
    var firstUnsent: MessageID? { unsentID < nextID ? MessageID(unsentID) : nil }

    /// The first unsent message is fully sent (or dropped): the next one becomes first.
    mutating func advanceUnsent() {
        unsentID += 1
    }

    // MARK: - Acknowledgement and release

    /// Records the acknowledgement of one fragment; returns true when that completed the message.
    mutating func markAcknowledged(_ ref: FragmentRef) -> Bool {
        guard let position = position(of: ref.message) else { return false }
        return slots[position].markAcknowledged(fragment: ref.index)
    }

    /// Removes a message (acknowledged, fully sent unreliable, or failed).
    /// Reads the fields it needs in place: copying the slot (two arrays) costs a retain and a
    /// release each, once per acknowledged message.
    mutating func release(_ id: MessageID) {
        guard let position = position(of: id) else { return }
        // One access to the slot (a ring subscript checks the index, and writing through it
        // checks the storage is unique).
        func empty(_ message: inout OutgoingMessage) -> (byteCount: Int, reliableChannel: Int?) {
            let emptied = (message.byteCount, message.mode.isReliable ? Int(message.channel) : nil)
            message.clear()
            return emptied
        }
        let (byteCount, reliableChannel) = empty(&slots[position])
        count -= 1
        bufferedBytes -= byteCount
        while !slots.isEmpty && !slots[0].isLive {
            slots.dropEmptiedFirst()
            oldestID += 1
        }
        if let c = reliableChannel {
            while let first = channels[c].reliable.first, !contains(first.id) {
                channels[c].reliable.removeFirst()
            }
        }
    }

    /// The oldest reliable sequence on `channel` that is not yet acknowledged, if any.
    func oldestUnacknowledged(channel: UInt8) -> UInt32? {
        Int(channel) < channels.count ? channels[Int(channel)].reliable.first?.sequence : nil
    }

    /// Gives the containers' storage back if the queue is empty (the connection went idle).
    mutating func shrinkIfEmpty() {
        guard count == 0 else { return }
        slots.removeAll()
        oldestID = nextID
        retransmissions = []
        for c in channels.indices where channels[c].reliable.isEmpty { channels[c].reliable = [] }
    }

    /// Removes everything and returns the IDs of reliable messages that were never acknowledged, in order.
    mutating func drainUnacknowledged() -> [MessageID] {
        var ids: [MessageID] = []
        for position in 0..<slots.count where slots[position].isLive && slots[position].mode.isReliable {
            ids.append(MessageID(oldestID + UInt64(position)))
        }
        slots.removeAll()
        oldestID = nextID
        unsentID = nextID
        count = 0
        retransmissions = []
        for c in channels.indices { channels[c].reliable = [] }
        bufferedBytes = 0
        return ids
    }
}
