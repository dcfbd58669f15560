import RUDPSecurity
import RUDPWire

/// The obviously correct model a ``ReplayWindow`` is compared with: the set of every packet
/// number accepted so far and the highest of them, classified by `Specs/SECURITY.md` section 5
/// without any bitmap or slot arithmetic.
///
/// ```swift
/// var model = ReplayWindowModel()
/// model.accept(5)
/// model.status(of: 5)      // .duplicate
/// model.status(of: 1030)   // .fresh; after accepting it, 5 is .tooOld
/// ```
public struct ReplayWindowModel: Sendable, Equatable {
    /// Every packet number accepted.
    public private(set) var accepted: Set<UInt64> = []
    /// The highest packet number accepted, or nil before the first.
    public private(set) var highest: UInt64?

    /// An empty model.
    public init() {}

    /// What the window must answer for `pn`: too old if it is not a packet number (2^62 or more)
    /// or at least the window's width below the highest accepted number, a duplicate if it was
    /// accepted, fresh otherwise.
    public func status(of pn: UInt64) -> ReplayWindow.Status {
        if pn >= Packet.packetNumberLimit { return .tooOld }
        guard let highest else { return .fresh }
        if pn > highest { return .fresh }
        if highest - pn >= UInt64(ReplayWindow.width) { return .tooOld }
        return accepted.contains(pn) ? .duplicate : .fresh
    }

    /// Records `pn` as accepted; the caller has checked that it is fresh.
    public mutating func accept(_ pn: UInt64) {
        accepted.insert(pn)
        highest = Swift.max(highest ?? pn, pn)
    }

    /// The numbers whose classification is most likely to be wrong after `pn` was processed:
    /// `pn` and its neighbours, the window's edges around the highest number, and the top of
    /// the packet number space.
    public func interestingNumbers(around pn: UInt64) -> [UInt64] {
        var numbers: [UInt64] = [pn, pn &- 1, pn &+ 1, Packet.packetNumberLimit - 1, Packet.packetNumberLimit, 0]
        if let highest {
            let width = UInt64(ReplayWindow.width)
            numbers += [highest, highest &- 1, highest &+ 1, highest &- (width - 1), highest &- width, highest &- (width + 1)]
        }
        return numbers
    }
}
