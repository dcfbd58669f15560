/// Flow control, both directions (`Specs/PROTOCOL.md` section 14).
struct FlowControl {
    // Sender (section 14.1).
    /// Consumed credit: total lengths of reliable messages whose first fragment was sent.
    var creditUsed: UInt64 = 0
    /// The peer's credit limit: its initial_max_data, then the largest MAX_DATA received.
    var peerMaxData: UInt64 = 0

    // Receiver (section 14.2).
    /// The window (initial_max_data announced).
    let window: UInt64
    /// Reliable message bytes counted as they arrived (each message once).
    var creditSeen: UInt64 = 0
    /// Reliable message bytes the application released.
    var creditReleased: UInt64 = 0
    /// The largest credit limit announced to the peer.
    var advertisedMaxData: UInt64
    /// The limit grew by a quarter of the window since it was last sent: send it promptly.
    var maxDataUpdateDue = false

    init(window: Int) {
        self.window = UInt64(window)
        advertisedMaxData = UInt64(window)
    }

    /// This side's credit limit now: released + window.
    var localMaxData: UInt64 { creditReleased + window }

    /// Whether sending a reliable message of `length` bytes for the first time would exceed
    /// the peer's limit.
    @inline(__always)
    func blocks(length: Int) -> Bool { creditUsed + UInt64(length) > peerMaxData }

    /// The application released `bytes` of a reliable message.
    mutating func release(_ bytes: Int) {
        creditReleased += UInt64(bytes)
        if localMaxData - advertisedMaxData >= window / 4 { maxDataUpdateDue = true }
    }

    /// A MAX_DATA with `localMaxData` was sent.
    mutating func didAdvertise() {
        maxDataUpdateDue = false
        advertisedMaxData = max(advertisedMaxData, localMaxData)
    }
}
