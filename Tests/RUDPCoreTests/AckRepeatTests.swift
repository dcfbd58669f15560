import RUDPCore
import RUDPWire
import Testing

/// The repeated acknowledgement of a flight's last packet on a lossy path (`Specs/PROTOCOL.md`
/// section 9.2): when an ACK frame answers a packet with a PING while packets are missing, a
/// second packet with an ACK frame follows it, so that one lost acknowledgement does not leave a
/// sender with nothing else to send waiting for its retransmission timer. Only an answer to
/// several packets (a flight) is repeated, and only with gaps: a loss-free path, and an
/// ack-clocked one answered packet by packet, see one ACK per PING as before.
@Suite struct AckRepeatTests {
    private func ackFrames(in datagrams: [[UInt8]]) -> [AckFrame] {
        datagrams.compactMap { datagram in
            guard let packet = try? Datagram.open(datagram), case .data(let frames) = packet.body else { return nil }
            for frame in frames { if case .ack(let ack) = frame { return ack } }
            return nil
        }
    }

    /// The server sends `count` messages of 1,000 bytes (one per packet); returns
    /// the server's datagrams, not delivered.
    private func serverFlight(_ pair: Pair, server: ConnectionID, count: Int) throws -> [[UInt8]] {
        for i in 0..<count { try pair.server.send([UInt8](repeating: UInt8(i), count: 1_000), on: server) }
        var flight: [[UInt8]] = []
        while let (datagram, _) = pair.server.pollTransmit(at: pair.now) { flight.append(datagram) }
        return flight
    }

    private func clientOutput(_ pair: Pair) -> [[UInt8]] {
        var out: [[UInt8]] = []
        while let (datagram, _) = pair.client.pollTransmit(at: pair.now) { out.append(datagram) }
        return out
    }

    @Test func aPingAnsweredWhilePacketsAreMissingIsAcknowledgedTwice() throws {
        let pair = Pair()
        let c = pair.connect()
        #expect(pair.drive { pair.serverConnection != nil && pair.client.connection(c)?.state == .established })
        #expect(pair.drive { pair.toServer.isEmpty && pair.toClient.isEmpty })
        let server = try #require(pair.serverConnection)

        // Loss-free: the flight's last packet carries a PING, and one ACK answers it.
        let first = try serverFlight(pair, server: server, count: 3)
        #expect(first.count == 3)
        for datagram in first { pair.client.handle(datagram: datagram, from: Pair.serverAddress, at: pair.now) }
        let answer = clientOutput(pair)
        #expect(answer.count == 1, "\(answer.count) packets answered a loss-free flight")
        #expect(ackFrames(in: answer).count == 1)

        // The next flight loses its first packet: the answer to its PING goes twice, with the
        // same acknowledgement, and nothing more follows.
        pair.now = pair.now + .milliseconds(1)
        let second = try serverFlight(pair, server: server, count: 3)
        #expect(second.count == 3)
        for datagram in second.dropFirst() { pair.client.handle(datagram: datagram, from: Pair.serverAddress, at: pair.now) }
        let answers = clientOutput(pair)
        let acks = ackFrames(in: answers)
        #expect(answers.count == 2 && acks.count == 2, "\(answers.count) packets, \(acks.count) ACK frames")
        if acks.count == 2 {
            #expect(acks[0].cumulative == acks[1].cumulative && acks[0].ranges == acks[1].ranges, "\(acks)")
            #expect(!acks[1].ranges.isEmpty, "the acknowledgement shows no gap: \(acks[1])")
        }
        #expect(pair.client.pollTransmit(at: pair.now) == nil)

        // A PING answered alone (an ack-clocked sender's one packet, whose next packet's ACK
        // repeats the information anyway): one ACK, even with the gap still open.
        pair.now = pair.now + .milliseconds(1)
        let third = try serverFlight(pair, server: server, count: 1)
        #expect(third.count == 1)
        for datagram in third { pair.client.handle(datagram: datagram, from: Pair.serverAddress, at: pair.now) }
        let single = clientOutput(pair)
        #expect(single.count == 1, "\(single.count) packets answered a one-packet flight")
        #expect(ackFrames(in: single).first.map { !$0.ranges.isEmpty } ?? false, "the gap is still open")

        // Both answers reach the server: the repeat acknowledges nothing new and is harmless; the
        // lost packet is repaired and the connection goes on.
        for datagram in answers + single { pair.server.handle(datagram: datagram, from: Pair.clientAddress, at: pair.now) }
        #expect(pair.drive { pair.clientMessages.count == 7 })
    }
}
