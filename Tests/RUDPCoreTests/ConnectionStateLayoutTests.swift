import RUDPWire
import Testing

@testable import RUDPCore

/// The inline size of a connection's state: every idle connection holds one, so a field that
/// grows it shows up in the idle-memory benchmark (`MemoryBenchmarkTests`).
struct ConnectionStateLayoutTests {
    /// The state's size after the idle-memory work of session 5 (was 1,664 bytes): a field that
    /// adds to it adds to every connection; if one must, measure the idle benchmark and raise this.
    static let stateSizeLimit = 1_472

    @Test func stateSizeStaysWithinItsBudget() {
        func p<T>(_ t: T.Type) { print("layout \(T.self): size \(MemoryLayout<T>.size) stride \(MemoryLayout<T>.stride)") }
        p(ConnectionState.self)
        p(ConnectionPhase.self)
        p(TransportParameters?.self)
        p(SentPacketStore.self)
        p(SentPacket.self)
        p(LossDetection.self)
        p(RTTEstimator.self)
        p(CongestionControl.self)
        p(WestwoodCongestionController.self)
        p(NewRenoCongestionController.self)
        p(Pacer.self)
        p(SendQueue.self)
        p(OutgoingMessage.self)
        p(FlowControl.self)
        p(ReceiveState.self)
        p(ReceivedPacketTracker.self)
        p(ReceiveBuffers.self)
        p(UnreliableReassembler.self)
        p(PathValidation.self)
        p(ReceiveOutcome.self)
        p(ConnectionStatistics.self)
        p(TimerTable.self)
        p(CloseFrame.self)
        p(CloseReason.self)
        p((any PacketProtection)?.self)
        p((any HandshakeSecurity)?.self)
        p(ClientHandshake.self)
        #expect(
            MemoryLayout<ConnectionState>.size <= Self.stateSizeLimit, "ConnectionState grew to \(MemoryLayout<ConnectionState>.size) bytes"
        )
    }
}
