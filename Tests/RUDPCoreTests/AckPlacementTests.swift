import RUDPCore
import RUDPWire
import Testing

/// Which packets carry an ACK frame, for rules of `Specs/PROTOCOL.md` version 2.0 that had no test
/// (`Specs/CHANGES.md`): a retransmission-timer probe carries the acknowledgement that is due
/// (section 10.3); a final CLOSE that does not fit one datagram with the ACK frame follows it in
/// the next packet (16.2, 16.3); the CLOSE sent for a protocol violation acknowledges nothing
/// (16.4).
@Suite struct AckPlacementTests {
    private func frames(of datagram: [UInt8]) -> [Frame] {
        guard let packet = try? Datagram.open(datagram), case .data(let frames) = packet.body else { return [] }
        return frames
    }

    private func connected() throws -> (Pair, ConnectionID) {
        let pair = Pair()
        let c = pair.connect()
        #expect(pair.drive { pair.serverConnection != nil && pair.client.connection(c)?.state == .established })
        // deliver whatever the handshake still has in flight
        #expect(pair.drive { pair.toServer.isEmpty && pair.toClient.isEmpty })
        return (pair, c)
    }

    @Test func aProbeCarriesTheAcknowledgementThatIsDue() throws {
        let (pair, c) = try connected()
        let clientID = try #require(pair.client.connection(c)?.localID)
        try pair.client.send([1, 2, 3], on: c)
        var lost: [[UInt8]] = []
        while let (datagram, _) = pair.client.pollTransmit(at: pair.now) { lost.append(datagram) }
        #expect(lost.contains(where: hasMessageFrame), "the message was not sent")

        // A packet from the server that is not ack-eliciting: recorded, so an ACK frame is due in
        // the client's next packet, but nothing is sent for it alone (section 9.2).
        let serverPacket: UInt64 = 1_000
        var bytes = Packet(destination: clientID, packetNumber: serverPacket, body: .data([.maxData(0)])).serialized()
        Datagram.seal(&bytes)
        pair.client.handle(datagram: bytes, from: Pair.serverAddress, at: pair.now)
        #expect(pair.client.pollTransmit(at: pair.now) == nil, "an ACK was sent for a packet that is not ack-eliciting")

        // The message's packet is lost; the retransmission timer expires and sends a probe.
        var probe: [UInt8]?
        for _ in 0..<10 where probe == nil {
            guard let deadline = pair.client.nextDeadline() else { break }
            pair.now = max(pair.now, deadline)
            pair.client.handleTimeout(at: pair.now)
            probe = pair.client.pollTransmit(at: pair.now)?.datagram
        }
        let probeFrames = frames(of: try #require(probe, "no probe"))
        guard case .ack(let ack)? = probeFrames.first else {
            Issue.record("the probe carries no ACK frame first: \(probeFrames)")
            return
        }
        #expect(ack.acknowledges(serverPacket), "\(ack)")
        #expect(probeFrames.contains { if case .maxData = $0 { return true } else { return false } }, "\(probeFrames)")
        #expect(
            probeFrames.contains { if case .message(let m) = $0 { return m.payload == [1, 2, 3] } else { return false } },
            "the probe does not carry the unacknowledged fragment again: \(probeFrames)")
    }

    @Test func theCloseForAProtocolViolationAcknowledgesNothing() throws {
        let (pair, c) = try connected()
        let clientID = try #require(pair.client.connection(c)?.localID)
        // The server's next packet (an ACK is due for it) carries a message on a channel the
        // client does not have.
        let message = MessageFrame(channel: 200, mode: .reliableOrdered, sequence: 0, totalLength: 1, offset: 0, payload: [1])
        var bytes = Packet(destination: clientID, packetNumber: 1_000, body: .data([.message(message)])).serialized()
        Datagram.seal(&bytes)
        pair.client.handle(datagram: bytes, from: Pair.serverAddress, at: pair.now)
        let (close, _) = try #require(pair.client.pollTransmit(at: pair.now))
        let closeFrames = frames(of: close)
        #expect(
            closeFrames.contains { if case .close(let f) = $0 { return f.code == .protocolViolation } else { return false } },
            "\(closeFrames)")
        #expect(
            !closeFrames.contains { if case .ack = $0 { return true } else { return false } },
            "the CLOSE for a violation acknowledges the offending packet: \(closeFrames)")
        #expect(pair.client.pollTransmit(at: pair.now) == nil)
    }

    /// Only a long reason and a small mds make the final CLOSE not fit with the ACK: an abort with
    /// a 200-byte reason at mds 256, when an ACK and an ACK_FLOOR are due (259 bytes in one).
    @Test func aFinalCloseThatDoesNotFitWithTheAckFollowsInTheNextPacket() throws {
        var config = ConnectionConfiguration()
        config.maxDatagramSize = 256
        let pair = Pair(clientConfig: config, serverConfig: config)
        let c = pair.connect()
        #expect(pair.drive { pair.serverConnection != nil && pair.client.connection(c)?.state == .established })
        #expect(pair.drive { pair.toServer.isEmpty && pair.toClient.isEmpty })
        let s = try #require(pair.serverConnection)
        func deliverClientPackets() {
            while let (d, _) = pair.client.pollTransmit(at: pair.now) {
                pair.server.handle(datagram: d, from: Pair.clientAddress, at: pair.now)
            }
        }
        try pair.client.send([1, 2, 3], on: c)
        deliverClientPackets()
        // the server's ACK of it is lost: the client's cumulative point stays behind the
        // server's floor, so the server's next packet carries an ACK_FLOOR
        pair.now = pair.now + .milliseconds(20)
        pair.server.handleTimeout(at: pair.now)
        while pair.server.pollTransmit(at: pair.now) != nil {}
        try pair.client.send([4, 5, 6], on: c)
        deliverClientPackets()
        let reason = String(repeating: "x", count: CloseFrame.maximumReasonLength)
        pair.server.abort(s, at: pair.now, with: CloseFrame(code: .aborted, reason: reason))
        var sent: [[Frame]] = []
        while let (d, _) = pair.server.pollTransmit(at: pair.now) {
            #expect(d.count <= config.maxDatagramSize)
            sent.append(frames(of: d))
        }
        #expect(sent.count == 2, "\(sent)")
        guard sent.count == 2 else { return }
        #expect(sent[0].contains { if case .ack = $0 { return true } else { return false } }, "the ACK does not go first: \(sent)")
        #expect(!sent[0].contains { if case .close = $0 { return true } else { return false } })
        #expect(sent[1].last == .close(CloseFrame(code: .aborted, reason: reason)), "\(sent)")
    }
}
