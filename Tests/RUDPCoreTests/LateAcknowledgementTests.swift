import RUDPWire
import Testing

@testable import RUDPCore

/// `Specs/PROTOCOL.md` section 9.5: a late acknowledgement of a packet declared lost is delivery
/// of its contents only when it proves receipt. The peer's cumulative point also covers packet
/// numbers this side abandoned with ACK_FLOOR (section 9.4), which never arrived: an engine that
/// took those for delivery released messages the peer never got (an independent implementation
/// delivered nothing at 10% loss while its sender saw everything acknowledged).
@Suite struct LateAcknowledgementTests {
    @Test func onlyARangeOrACumulativePointBelowEveryFloorSentProvesReceipt() {
        // In a range (at or above the cumulative point): received.
        #expect(Connection.lateAcknowledgementProvesReceipt(of: 7, cumulative: 5, largestFloorSent: 100))
        // Below the cumulative point, and no floor above it was ever sent: received.
        #expect(Connection.lateAcknowledgementProvesReceipt(of: 7, cumulative: 9, largestFloorSent: 0))
        #expect(Connection.lateAcknowledgementProvesReceipt(of: 7, cumulative: 9, largestFloorSent: 7))
        // Below the cumulative point and below a floor this side sent: possibly abandoned, no proof.
        #expect(!Connection.lateAcknowledgementProvesReceipt(of: 7, cumulative: 9, largestFloorSent: 8))
        #expect(!Connection.lateAcknowledgementProvesReceipt(of: 0, cumulative: 1, largestFloorSent: 1))
    }

    /// The trap as a scenario: a message's packet and its first retransmission are lost, the
    /// sender's ACK_FLOOR moves the receiver's cumulative point past the lost packet numbers, and
    /// later ACKs cover them cumulatively. At every step, a message the sender reports as
    /// acknowledged must already have been delivered; in the end each arrives exactly once.
    @Test(arguments: [0, 3, 9])
    func abandonedPacketNumbersAreNeverTakenForDelivery(victim: Int) throws {
        let pair = Pair()
        let c = pair.connect()
        #expect(pair.drive { pair.serverConnection != nil })

        var drops = 0
        pair.filter = { datagram, toServer in
            guard toServer, drops < 2, let packet = try? Datagram.open(datagram), case .data(let frames) = packet.body else { return true }
            for case .message(let m) in frames where m.payload.first == UInt8(victim) {
                drops += 1
                return false
            }
            return true
        }
        var ids: [MessageID: Int] = [:]
        for i in 0..<12 {
            // Unordered: a message is delivered as soon as it arrives, so "delivered" is "received".
            ids[try pair.client.send(Array(repeating: UInt8(i), count: 1000), on: c, mode: .reliableUnordered)] = i
        }
        var violation: String?
        let done = pair.drive(for: .seconds(30)) {
            let delivered = Set(pair.serverMessages.compactMap { $0.bytes.first.map(Int.init) })
            for case (_, .acknowledged(let id)) in pair.clientEvents {
                if let i = ids[id], !delivered.contains(i), violation == nil {
                    violation = "message \(i) reported acknowledged at \(pair.now) before the receiver had it"
                }
            }
            return pair.serverMessages.count >= 12 && pair.client.connection(c)?.isSendBufferEmpty == true
        }
        #expect(violation == nil, "\(violation ?? "")")
        #expect(done)
        #expect(drops == 2, "the scenario did not lose the victim's packet twice")
        #expect(pair.serverMessages.map { Int($0.bytes[0]) }.sorted() == Array(0..<12))
        let stats = try #require(pair.client.connection(c)?.statistics)
        #expect(stats.packetsLost >= 1)
        #expect(stats.messagesAcknowledged == 12)
    }
}
