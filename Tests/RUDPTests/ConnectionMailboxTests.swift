import RUDPCore
import Synchronization
import Testing

@testable import RUDP

@Suite("Connection mailbox")
struct ConnectionMailboxTests {
    /// A mailbox whose release threshold is 100 bytes (an eighth of an 800-byte window), with
    /// messages small enough that a waiting consumer holds credit back up to that threshold.
    func makeMailbox() -> ConnectionMailbox {
        var configuration = ConnectionConfiguration()
        configuration.receiveWindow = 800
        configuration.maxMessageSize = 400
        return ConnectionMailbox(configuration: configuration, messageLimit: 400, channelCount: 1)
    }

    func message(_ byte: UInt8) -> ReceivedMessage {
        ReceivedMessage(bytes: [UInt8](repeating: byte, count: 100), channel: 0, mode: .reliableOrdered)
    }

    func publish(_ mailbox: ConnectionMailbox, _ delivered: [ReceivedMessage]) -> [ReceivedMessage] {
        mailbox.publish(statistics: ConnectionStatistics(), moved: (0, 0), delivered: delivered, resolutions: []).releases
    }

    /// The stall of the 10 MB lossy transfer: a delivery handed straight to a waiting consumer
    /// reached the release threshold, so `noteTaken` marked a release as scheduled, but
    /// `publish` returned the credit itself and nobody scheduled anything: the mark stayed, and
    /// from then on credit went back only with the next delivery. Once the application lagged a
    /// whole window behind, the sender stopped, no delivery came, and the messages the
    /// application took afterwards never returned their credit (the peer's MAX_DATA stuck at
    /// released + window, both sides idle but for keep-alives).
    @Test("A message handed to a waiting consumer does not stop later takes from scheduling a credit release")
    func handOverKeepsReleasesScheduled() async throws {
        let mailbox = makeMailbox()
        let schedules = Atomic<Int>(0)
        let consumer = Task {
            try await mailbox.nextMessage(scheduleRelease: { schedules.add(1, ordering: .relaxed) })
        }
        try await withHangGuard("consumer registers") {
            while mailbox.state.withLock({ $0.consumer == nil }) { await Task.yield() }
        }
        // Handed over at the threshold: the credit goes back with this very publish.
        #expect(publish(mailbox, [message(1)]) == [message(1)])
        #expect(try await consumer.value == message(1))
        #expect(schedules.load(ordering: .relaxed) == 0)

        // The sender is now blocked: these are the last deliveries, taken after the publish.
        #expect(publish(mailbox, [message(2), message(3)]).isEmpty)
        #expect(try await mailbox.nextMessage(scheduleRelease: { schedules.add(1, ordering: .relaxed) }) == message(2))
        #expect(schedules.load(ordering: .relaxed) == 1, "taking a threshold's worth must schedule a release")
        #expect(mailbox.takeReleases() == [message(2)])
        #expect(try await mailbox.nextMessage(scheduleRelease: { schedules.add(1, ordering: .relaxed) }) == message(3))
        #expect(schedules.load(ordering: .relaxed) == 2)
        #expect(mailbox.takeReleases() == [message(3)])
    }
}
