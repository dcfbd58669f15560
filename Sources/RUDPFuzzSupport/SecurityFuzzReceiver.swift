import RUDPSecurity

/// The receiving side a ``SecurityFuzzer`` program attacks: ``PacketProtector`` in the fuzz
/// target, deliberately broken receivers in the tests that show the checks can fail.
///
/// ```swift
/// let report = SecurityFuzzer.run(bytes) { mode, key, direction in
///     PacketProtector(mode: mode, key: key, direction: direction)
/// }
/// ```
public protocol SecurityFuzzReceiver: AnyObject {
    /// Everything a datagram that fails to open must leave unchanged.
    associatedtype WindowState: Equatable

    /// The current replay state.
    var windowState: WindowState { get }
    /// The highest packet number accepted so far, or nil.
    var highestAccepted: UInt64? { get }
    /// How the replay window classifies `packetNumber` now.
    func windowStatus(of packetNumber: UInt64) -> ReplayWindow.Status
    /// Verifies `datagram` and returns its header and (decrypted) payload, or throws why not.
    func open(datagram: [UInt8]) throws(SecurityError) -> (header: [UInt8], payload: [UInt8])
    /// Whether refusals carry the exact error of `Specs/SECURITY.md` 4.4 (true by default); if
    /// not, only their kind is compared: replayed, too old, authentication failed, or malformed.
    var reportsExactErrors: Bool { get }
}

extension SecurityFuzzReceiver {
    /// Refusals are exact unless a receiver says otherwise.
    public var reportsExactErrors: Bool { true }
}

extension PacketProtector: SecurityFuzzReceiver {
    /// The protector's replay window.
    public var windowState: ReplayWindow { replayWindow }
    /// The replay window's highest accepted number.
    public var highestAccepted: UInt64? { replayWindow.highest }
    /// The replay window's classification.
    public func windowStatus(of packetNumber: UInt64) -> ReplayWindow.Status { replayWindow.status(of: packetNumber) }
}
