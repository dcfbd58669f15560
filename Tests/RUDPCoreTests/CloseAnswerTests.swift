import RUDPCore
import RUDPWire
import Testing

/// `Specs/PROTOCOL.md` section 16.2 step 1: the answer to a received CLOSE acknowledges the
/// packet that carried it, so the closing side sees its CLOSE acknowledged (section 16.1).
@Suite struct CloseAnswerTests {
    private func frames(of datagram: [UInt8]) -> [Frame] {
        guard let packet = try? Datagram.open(datagram), case .data(let frames) = packet.body else { return [] }
        return frames
    }

    private func carriesClose(_ datagram: [UInt8]) -> Bool {
        frames(of: datagram).contains { if case .close = $0 { return true } else { return false } }
    }

    @Test func theAnswerToCloseCarriesAnAckMaxDataAndCloseNormal() throws {
        let pair = Pair()
        let c = pair.connect()
        #expect(pair.drive { pair.serverConnection != nil })
        try pair.client.send(Array("last words".utf8), on: c)
        #expect(pair.drive { pair.serverMessages.count == 1 && pair.client.connection(c)?.isSendBufferEmpty == true })

        var clientClose: [UInt8]?
        var serverAnswer: [UInt8]?
        pair.filter = { datagram, toServer in
            if toServer, clientClose == nil, self.carriesClose(datagram) { clientClose = datagram }
            if !toServer, serverAnswer == nil, self.carriesClose(datagram) { serverAnswer = datagram }
            return true
        }
        pair.client.close(c, at: pair.now)
        #expect(pair.drive { pair.closeReason(pair.clientEvents) != nil && pair.closeReason(pair.serverEvents) != nil })

        let close = try #require(clientClose)
        let answer = try #require(serverAnswer)
        let closePacket = try Datagram.open(close)
        let answerPacket = try Datagram.open(answer)
        let answerFrames = frames(of: answer)

        // ACK (covering the packet that carried the client's CLOSE), MAX_DATA, then CLOSE(normal).
        var expected: [Frame] = []
        guard case .ack(let ack)? = answerFrames.first else {
            Issue.record("the answer to CLOSE carries no ACK frame: \(answerFrames)")
            return
        }
        #expect(ack.acknowledges(closePacket.packetNumber), "the ACK does not cover the CLOSE's packet \(closePacket.packetNumber): \(ack)")
        expected.append(.ack(ack))
        guard answerFrames.count > 1, case .maxData(let limit) = answerFrames[1] else {
            Issue.record("no MAX_DATA after the ACK: \(answerFrames)")
            return
        }
        expected.append(.maxData(limit))
        if case .ackFloor(let floor)? = answerFrames.dropFirst(2).first { expected.append(.ackFloor(floor)) }
        expected.append(.close(CloseFrame(code: .normal)))
        #expect(answerFrames == expected)

        // Byte for byte: the datagram is exactly that packet, sealed.
        var bytes = Packet(destination: answerPacket.destination, packetNumber: answerPacket.packetNumber, body: .data(expected))
            .serialized()
        Datagram.seal(&bytes)
        #expect(bytes == answer)

        // Both ends saw a clean close; the client ended on the answer, not after 3 × RTO.
        #expect(pair.closeReason(pair.clientEvents) == .closedLocally)
        #expect(pair.closeReason(pair.serverEvents) == .peerClosed(.normal, ""))
    }

    @Test func anAbortRightAfterReceivingDataAcknowledgesWhatArrived() throws {
        let pair = Pair()
        let c = pair.connect()
        #expect(pair.drive { pair.serverConnection != nil })
        let s = try #require(pair.serverConnection)
        try pair.client.send([1, 2, 3], on: c)
        // The server receives the message and aborts before it has sent anything: the one packet
        // it sends carries the ACK that was due and CLOSE(aborted) (section 16.3 allows the ACK).
        while let (datagram, _) = pair.client.pollTransmit(at: pair.now) {
            pair.server.handle(datagram: datagram, from: Pair.clientAddress, at: pair.now)
        }
        pair.server.abort(s, at: pair.now)
        let (datagram, _) = try #require(pair.server.pollTransmit(at: pair.now))
        let frames = frames(of: datagram)
        #expect(frames.contains { if case .ack = $0 { return true } else { return false } }, "\(frames)")
        #expect(frames.last == .close(CloseFrame(code: .aborted)))
        #expect(pair.server.pollTransmit(at: pair.now) == nil, "an abort sends one packet")
    }
}
