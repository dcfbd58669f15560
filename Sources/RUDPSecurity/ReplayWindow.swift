import RUDPWire

/// Which packet numbers of one direction were already received, over a sliding window of the
/// last ``width`` numbers below the highest one accepted (`Specs/SECURITY.md`, "Replay window").
///
/// Call ``check(_:)`` before spending any work on a datagram and ``accept(_:)`` only after it
/// verified, so that a forged packet number cannot move the window.
///
/// ```swift
/// var window = ReplayWindow()
/// guard window.check(pn) else { return }    // replayed or too old: drop before decrypting
/// let packet = try open(datagram)           // authenticate first ...
/// window.accept(pn)                         // ... then remember the number
/// ```
///
/// All arithmetic is on `UInt64` values below 2^62 and only ever subtracts the smaller number
/// from the larger, so no value of `pn` can overflow it.
public struct ReplayWindow: Sendable, Equatable {
    /// Number of packet numbers the window remembers below and including the highest accepted.
    public static let width = 1024
    private static let wordCount = width / 64

    /// What ``status(of:)`` found.
    public enum Status: Hashable, Sendable {
        /// Not seen and inside (or above) the window: may be accepted once it verifies.
        case fresh
        /// Already accepted.
        case duplicate
        /// At least ``ReplayWindow/width`` below the highest accepted number (or not a valid
        /// packet number at all): cannot be told apart from a replay.
        case tooOld
    }

    /// The highest packet number accepted, or nil before the first one.
    public private(set) var highest: UInt64?
    /// Bit `pn % width` is set if `pn` (within the window) was accepted. Allocated by the first
    /// ``accept(_:)``: a sending direction's window never needs it.
    private var bits: [UInt64] = []

    /// An empty window: every packet number below 2^62 is fresh.
    public init() {}

    /// Whether `pn` may be accepted: below 2^62, not older than the window and not yet seen.
    public func check(_ pn: UInt64) -> Bool {
        status(of: pn) == .fresh
    }

    /// The classification of `pn` (see ``Status``).
    public func status(of pn: UInt64) -> Status {
        guard pn < Packet.packetNumberLimit else { return .tooOld }
        guard let highest else { return .fresh }
        if pn > highest { return .fresh }
        if highest - pn >= UInt64(Self.width) { return .tooOld }
        return isSet(pn) ? .duplicate : .fresh
    }

    /// Records `pn` as received. Call only after the packet verified; a number that
    /// ``check(_:)`` rejects is ignored.
    public mutating func accept(_ pn: UInt64) {
        guard check(pn) else { return }
        if bits.isEmpty { bits = [UInt64](repeating: 0, count: Self.wordCount) }
        if let highest, pn <= highest {
            set(pn)
            return
        }
        if let highest {
            let distance = pn - highest  // > 0
            if distance >= UInt64(Self.width) {
                for i in bits.indices { bits[i] = 0 }
            } else {
                // Clear the slots of the numbers skipped over (highest+1 ... pn): they were last
                // used by numbers `width` lower, which now fall out of the window.
                var n = highest + 1
                while n <= pn {
                    let slot = Int(n % UInt64(Self.width))
                    if slot % 64 == 0 && pn - n >= 63 {
                        bits[slot / 64] = 0
                        n += 64
                    } else {
                        bits[slot / 64] &= ~(1 << UInt64(slot % 64))
                        n += 1
                    }
                }
            }
        }
        highest = pn
        set(pn)
    }

    private func isSet(_ pn: UInt64) -> Bool {
        let slot = Int(pn % UInt64(Self.width))
        return bits[slot / 64] & (1 << UInt64(slot % 64)) != 0
    }

    private mutating func set(_ pn: UInt64) {
        let slot = Int(pn % UInt64(Self.width))
        bits[slot / 64] |= 1 << UInt64(slot % 64)
    }
}
