import NIOCore
import RUDPWire

/// A message held by the sender until the peer acknowledges all of it (reliable) or until it
/// has been transmitted once (unreliable). Its bytes are the readable bytes of the application's
/// `ByteBuffer`, kept as it was handed in (a reference to its storage, not a copy); each fragment
/// is copied from them straight into the datagram that carries it, the one copy on the way out.
///
/// An empty slot holds no reference at all (`bytes` and `ackedOverflow` are nil, not an empty
/// buffer and an empty array): the ring writes, overwrites and copies empty slots for every
/// message (``RingBuffer/append(_:)`` over the filler, ``clear()``, growing), and an empty
/// `ByteBuffer` or array is a reference whose every copy or overwrite is a retain or a release.
struct OutgoingMessage: RingElement {
    /// The application's buffer; nil in an empty slot.
    var bytes: ByteBuffer?
    var channel: UInt8
    var mode: DeliveryMode
    var sequence: UInt32
    /// Whether the slot holds a message (a released slot of the ``SendQueue`` is empty).
    var isLive: Bool
    /// Fixed at first transmission: fragment `i` covers `i*fragmentSize ..< min((i+1)*fragmentSize, count)`.
    var fragmentSize = 0
    var fragmentCount = 0
    /// Fragments transmitted at least once.
    var nextFragment = 0
    var ackedCount = 0
    /// Acknowledged fragments 0 ..< 64, one bit each; beyond, `ackedOverflow` (allocated only
    /// for messages of more than 64 fragments).
    var ackedBits: UInt64 = 0
    var ackedOverflow: [UInt64]? = nil

    static let empty = OutgoingMessage(bytes: nil, channel: 0, mode: .unreliable, sequence: 0, isLive: false)

    @inline(__always)
    static var ringFiller: OutgoingMessage {
        OutgoingMessage(bytes: nil, channel: 0, mode: .unreliable, sequence: 0, isLive: false)
    }

    /// The message's length in bytes (0 for an empty slot).
    @inline(__always)
    var byteCount: Int { bytes?.readableBytes ?? 0 }

    /// What decides whether and how the message may start: its plain fields, without the arrays
    /// (a copy of the message itself retains and releases both).
    struct Summary {
        var byteCount: Int
        var channel: UInt8
        var mode: DeliveryMode
        var sequence: UInt32
        var isStarted: Bool
    }

    var summary: Summary {
        Summary(byteCount: byteCount, channel: channel, mode: mode, sequence: sequence, isStarted: isStarted)
    }

    /// Turns this message into an empty slot in place (what ``empty`` is, without copying that):
    /// releases its bytes.
    mutating func clear() {
        bytes = nil
        if ackedOverflow != nil { ackedOverflow = nil }
        isLive = false
    }

    var isStarted: Bool { fragmentCount > 0 }
    var isFullySent: Bool { isStarted && nextFragment >= fragmentCount }

    mutating func start(fragmentSize: Int) {
        self.fragmentSize = fragmentSize
        let count = byteCount
        fragmentCount = count == 0 ? 1 : (count + fragmentSize - 1) / fragmentSize
        if mode.isReliable && fragmentCount > 64 {
            ackedOverflow = Array(repeating: 0, count: (fragmentCount - 64 + 63) / 64)
        }
    }

    /// Whether fragment `index` was acknowledged.
    @inline(__always)
    func isAcknowledged(_ index: Int) -> Bool {
        if index < 64 { return ackedBits & (1 << UInt64(index)) != 0 }
        let bit = index - 64
        return ackedOverflow![bit / 64] & (1 << UInt64(bit % 64)) != 0
    }

    /// Records the acknowledgement of fragment `index`; returns true when that completed the message.
    mutating func markAcknowledged(fragment index: Int) -> Bool {
        if isAcknowledged(index) { return false }
        if index < 64 {
            ackedBits |= 1 << UInt64(index)
        } else {
            let bit = index - 64
            ackedOverflow![bit / 64] |= 1 << UInt64(bit % 64)
        }
        ackedCount += 1
        return ackedCount == fragmentCount
    }

    /// The byte range of fragment `index`.
    @inline(__always)
    func range(of index: Int) -> Range<Int> {
        let lower = index * fragmentSize
        return lower..<min(lower + fragmentSize, byteCount)
    }

    /// The encoded size of the MESSAGE frame of fragment `index`.
    func encodedSize(of index: Int) -> Int {
        FrameSize.messageOverhead + range(of: index).count
    }

    /// Writes the MESSAGE frame of fragment `index` into `builder`.
    func write(fragment index: Int, into builder: inout PacketBuilder) {
        let range = range(of: index)
        bytes!.withUnsafeReadableBytes { raw in
            builder.writeMessage(
                channel: channel, mode: mode, sequence: sequence, totalLength: UInt32(raw.count),
                offset: UInt32(range.lowerBound), payload: UnsafeRawBufferPointer(rebasing: raw[range]))
        }
    }
}
