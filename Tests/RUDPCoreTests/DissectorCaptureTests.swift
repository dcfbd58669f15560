import Foundation
import RUDPCore
import RUDPSecurity
import RUDPWire
import Testing

/// `Specs/wireshark/rudp.lua` decodes what the engines send (issue 12, point 9): plain and
/// secure exchanges with RETRY, fragments, every delivery mode, ACK frames with ranges, path
/// frames, CLOSE with reasons and the stateless security answers, written as a capture with IPv4
/// and UDP headers and read by `tshark`. Every datagram must decode to exactly what the reference
/// codec reads in it, with no error, no malformed marker and no Lua error; on port 9000 and,
/// through the heuristic dissector, on ports the dissector was not told about.
@Suite(.enabled(if: TShark.shouldRun, "tshark is not installed (Debian package tshark): skipped outside CI; with CI=true this fails"))
struct DissectorCaptureTests {
    static let seed: UInt64 = 1

    /// The exchanges, recorded.
    static func engineExchanges() throws -> CaptureRecorder {
        let recorder = CaptureRecorder()
        try plainExchange(recorder)
        try protocolViolation(recorder)
        plainRetry(recorder)
        try secureExchange(recorder, mode: .encrypted, port: 50005)
        try secureExchange(recorder, mode: .authenticated, port: 50006)
        securityMismatch(recorder, client: nil, server: .encrypted, port: 50007)
        securityMismatch(recorder, client: .encrypted, server: nil, port: 50008)
        securityMismatch(recorder, client: .authenticated, server: .encrypted, port: 50009)
        return recorder
    }

    /// Handshake, messages of every mode (one of them in fragments) both ways, loss that makes
    /// the server acknowledge with ranges, a packet with path frames, a graceful close (whose
    /// answer carries an ACK, PROTOCOL.md 16.2).
    static func plainExchange(_ recorder: CaptureRecorder) throws {
        recorder.beginExchange()
        let pair = Pair(seed: seed)
        let client = PcapFile.Endpoint.ipv4(192, 0, 2, 1, port: 50001)
        var messageDatagrams = 0
        var lose: Set<Int> = []
        recorder.attach(pair, client: client) { datagram, toServer in
            guard toServer, hasMessageFrame(datagram) else { return false }
            messageDatagrams += 1
            return lose.contains(messageDatagrams)
        }
        let c = pair.connect()
        #expect(pair.drive { pair.serverConnection != nil && pair.client.connection(c)?.state == .established })
        let s = try #require(pair.serverConnection)
        try pair.client.send([UInt8](repeating: 0x61, count: 3000), on: c)
        try pair.client.send(Array("unordered".utf8), on: c, channel: 2, mode: .reliableUnordered)
        try pair.client.send(Array("position 3,4".utf8), on: c, channel: 1, mode: .unreliable)
        try pair.server.send(Array("Hello, Alice!".utf8), on: s)
        #expect(pair.drive { pair.serverMessages.count == 3 && pair.clientMessages.count == 1 })
        // a burst of which the 2nd and 4th datagrams are lost: the server acknowledges with ranges
        lose = [messageDatagrams + 2, messageDatagrams + 4]
        for i in 0..<12 { try pair.client.send([UInt8](repeating: UInt8(i), count: 1000), on: c) }
        #expect(pair.drive { pair.serverMessages.count == 15 && pair.client.connection(c)?.isSendBufferEmpty == true })
        lose = []
        // PATH_CHALLENGE and PATH_RESPONSE: the engine does not send them yet (PROTOCOL.md 7.4),
        // so this packet is made with the codec and only written to the capture (delivered, its
        // made-up packet number would be acknowledged, and the client would rightly call that an
        // acknowledgement of a packet it never sent, 9.5).
        let serverID = try #require(pair.client.connection(c)?.peerID)
        var path = Packet(
            destination: serverID, packetNumber: 1_000,
            body: .data([.pathChallenge(0x0123_4567_89ab_cdef), .pathResponse(0xfedc_ba98_7654_3210)])
        ).serialized()
        Datagram.seal(&path)
        recorder.record(path, from: client, to: CaptureRecorder.server, at: pair.now)
        pair.client.close(c, at: pair.now)
        #expect(pair.drive { pair.closeReason(pair.clientEvents) != nil && pair.closeReason(pair.serverEvents) != nil })
    }

    /// A forged message on a channel the client does not have: the client closes with
    /// CLOSE(protocol violation) and a reason, and acknowledges nothing (PROTOCOL.md 16.4).
    static func protocolViolation(_ recorder: CaptureRecorder) throws {
        recorder.beginExchange()
        let pair = Pair(seed: seed &+ 1)
        let client = PcapFile.Endpoint.ipv4(192, 0, 2, 1, port: 50002)
        recorder.attach(pair, client: client)
        let c = pair.connect()
        #expect(pair.drive { pair.serverConnection != nil && pair.client.connection(c)?.state == .established })
        let clientID = try #require(pair.client.connection(c)?.localID)
        let message = MessageFrame(channel: 200, mode: .reliableOrdered, sequence: 0, totalLength: 1, offset: 0, payload: [1])
        var forged = Packet(destination: clientID, packetNumber: 500, body: .data([.message(message)])).serialized()
        Datagram.seal(&forged)
        recorder.record(forged, from: CaptureRecorder.server, to: client, at: pair.now)
        pair.client.handle(datagram: forged, from: Pair.serverAddress, at: pair.now)
        #expect(pair.drive { pair.closeReason(pair.clientEvents) != nil && pair.closeReason(pair.serverEvents) != nil })
    }

    /// A plain RETRY and the CONNECT that returns its cookie. The reference server does not send
    /// plain RETRY yet (PROTOCOL.md 7.2): the client's first CONNECT is the engine's, the RETRY
    /// carries a real cookie of the reference issuer (section 7.5), the second CONNECT is the
    /// first one with that cookie.
    static func plainRetry(_ recorder: CaptureRecorder) {
        recorder.beginExchange()
        let pair = Pair(seed: seed &+ 2)
        let client = PcapFile.Endpoint.ipv4(192, 0, 2, 1, port: 50003)
        recorder.attach(pair, client: client)
        let c = pair.connect()
        pair.collect()
        guard let first = pair.toServer.first, case .connect(let parameters, _)? = try? Datagram.open(first).body else {
            Issue.record("no plain CONNECT from the client")
            return
        }
        var random = SeededGenerator(seed: seed)
        var cookies = PlainRetryCookie(at: pair.now, using: &random)
        let cookie = cookies.issue(
            address: client.address + [UInt8(client.port >> 8), UInt8(client.port & 0xff)],
            clientConnectionID: c, at: pair.now, using: &random)
        var retry = Packet(destination: c, packetNumber: 0, body: .retry(cookie: cookie)).serialized()
        Datagram.seal(&retry)
        recorder.record(retry, from: CaptureRecorder.server, to: client, at: pair.now + .milliseconds(10))
        var again = Packet(destination: .none, packetNumber: 1, body: .connect(parameters, cookie: cookie)).serialized()
        Datagram.seal(&again)
        recorder.record(again, from: client, to: CaptureRecorder.server, at: pair.now + .milliseconds(20))
    }

    /// The secure handshake with its RETRY, messages both ways, a graceful close.
    static func secureExchange(_ recorder: CaptureRecorder, mode: SecurityMode, port: UInt16) throws {
        recorder.beginExchange()
        let pair = SecurityTestSupport.pair(mode, seed: seed)
        recorder.attach(pair, client: .ipv4(192, 0, 2, 1, port: port))
        let c = pair.connect()
        #expect(pair.drive { pair.serverConnection != nil && pair.client.connection(c)?.state == .established })
        let s = try #require(pair.serverConnection)
        try pair.client.send([UInt8](repeating: 0x62, count: 3000), on: c)
        try pair.client.send(Array("position 5,6".utf8), on: c, channel: 1, mode: .unreliable)
        try pair.server.send(Array("Hello, Bob!".utf8), on: s)
        #expect(pair.drive { pair.serverMessages.count == 2 && pair.clientMessages.count == 1 })
        pair.client.close(c, at: pair.now)
        #expect(pair.drive { pair.closeReason(pair.clientEvents) != nil && pair.closeReason(pair.serverEvents) != nil })
    }

    /// A CONNECT the server answers with a stateless CLOSE (PROTOCOL.md 20.6).
    static func securityMismatch(_ recorder: CaptureRecorder, client: SecurityMode?, server: SecurityMode?, port: UInt16) {
        recorder.beginExchange()
        let pair = SecurityTestSupport.pair(client: client, server: server, seed: seed)
        recorder.attach(pair, client: .ipv4(192, 0, 2, 1, port: port))
        pair.connect()
        for _ in 0..<2 { pair.step() }
    }

    /// What the capture must contain for the check to mean anything, in the reference's reading.
    static func coverageProblems(_ expectations: [DissectorExpectation]) -> [String] {
        var problems: [String] = []
        var kinds: Set<String> = [], frameTypes: Set<String> = [], closeCodes: Set<String> = []
        var rangesInOneAck = 0, fragments = 0, reasons = 0
        for e in expectations {
            if let error = e.error { problems.append("the reference rejects a datagram of the engines: \(error)") }
            kinds.insert("\(e.values["rudp2.type"]!)/\(e.values["rudp2.flags"]!)")
            for t in e.values["rudp2.frame.type"]!.split(separator: ",") { frameTypes.insert(String(t)) }
            for code in e.values["rudp2.close.code"]!.split(separator: ",") { closeCodes.insert(String(code)) }
            if !e.values["rudp2.close.reason"]!.isEmpty { reasons += 1 }
            if e.values["rudp2.msg.offset"]!.split(separator: ",").contains(where: { $0 != "0" }) { fragments += 1 }
            // ranges of the packet's ACK frames (engine packets carry at most one)
            rangesInOneAck = max(rangesInOneAck, e.values["rudp2.ack.range.lower"]!.split(separator: ",").count)
        }
        let wantedKinds = [
            "0x01/0x00", "0x01/0x01", "0x01/0x03", "0x02/0x00", "0x02/0x01", "0x02/0x03",
            "0x03/0x00", "0x03/0x01", "0x03/0x03", "0x04/0x00", "0x04/0x01", "0x04/0x03",
        ]
        for kind in wantedKinds where !kinds.contains(kind) { problems.append("no packet of type/flags \(kind) in the capture") }
        for t in 1...8 where !frameTypes.contains(DissectorExpectation.hex8(UInt8(t))) {
            problems.append("no frame of type \(t) in the capture")
        }
        for code in ["0", "2", "6", "7", "8"] where !closeCodes.contains(code) { problems.append("no CLOSE(\(code)) in the capture") }
        if rangesInOneAck < 2 { problems.append("no ACK frame with two or more ranges in the capture") }
        if fragments == 0 { problems.append("no fragment at a non-zero offset in the capture") }
        if reasons == 0 { problems.append("no CLOSE with a reason in the capture") }
        return problems
    }

    /// Decodes `capture` and compares every datagram with `expectations`; returns the problems
    /// and tshark's rows.
    static func decode(_ capture: URL, _ expectations: [DissectorExpectation], in directory: URL) async throws
        -> (problems: [String], rows: [[String: String]])
    {
        let fields = ["frame.number"] + DissectorExpectation.fields + DissectorExpectation.diagnostics
        let (rows, output) = try await TShark.fields(fields, of: capture, in: directory)
        var problems: [String] = []
        if output.problems.contains("Lua") || output.problems.lowercased().contains("error") {
            problems.append("tshark reported: \(output.problems)")
        }
        if rows.count != expectations.count {
            problems.append("tshark decoded \(rows.count) datagrams, the capture has \(expectations.count)")
        }
        for (i, (row, expected)) in zip(rows, expectations).enumerated() {
            let what = "datagram \(i + 1) (\(row["_ws.col.Info"] ?? ""))"
            if !(row["frame.protocols"] ?? "").hasSuffix(":rudp2") {
                problems.append("\(what): not decoded as RUDP (protocols \(row["frame.protocols"] ?? ""))")
                continue
            }
            for line in expected.differences(from: row) { problems.append("\(what): \(line)") }
            if !(row["_ws.lua.error"] ?? "").isEmpty { problems.append("\(what): Lua error") }
            if expected.error == nil {
                // no error and no warning: the only expert info a valid datagram has is the note
                // that a tag was not verified
                let notes = (row["_ws.expert.message"] ?? "").split(separator: ",").filter { $0 != "tag not verified (no keys)" }
                if !(row["_ws.malformed"] ?? "").isEmpty || !notes.isEmpty {
                    problems.append("\(what): expert info on a valid datagram: \(row["_ws.expert.message"] ?? "")")
                }
            }
        }
        return (problems, rows)
    }

    /// Lines of `tshark -V` that show a Lua error or a malformed packet.
    static func detailProblems(_ capture: URL, in directory: URL) async throws -> [String] {
        let details = try await TShark.details(of: capture, in: directory)
        return details.standardOutput.split(separator: "\n")
            .filter { $0.contains("Lua Error") || $0.contains("Malformed") || $0.contains("Dissector bug") }
            .prefix(20).map { "tshark -V: \($0.trimmingCharacters(in: .whitespaces))" }
    }

    @Test func engineDatagramsDecodeOnTheConfiguredPort() async throws {
        guard TShark.executable != nil else {
            Issue.record(Comment(rawValue: TShark.missing))
            return
        }
        let recorder = try Self.engineExchanges()
        let expectations = recorder.records.map { DissectorExpectation(datagram: $0.datagram) }
        let coverage = Self.coverageProblems(expectations)
        #expect(coverage.isEmpty, "seed \(Self.seed): \(coverage.joined(separator: "\n"))")

        let directory = try TShark.scratchDirectory("dissector")
        let capture = directory.appendingPathComponent("engine.pcap")
        try recorder.capture().write(to: capture)
        var problems = try await Self.decode(capture, expectations, in: directory).problems
        problems += try await Self.detailProblems(capture, in: directory)

        // PROTOCOL.md 16.4 as the capture shows it: the CLOSE(protocol violation) acknowledges nothing.
        for (record, expected) in zip(recorder.records, expectations) where expected.values["rudp2.close.code"] == "2" {
            if expected.values["rudp2.frame.type"]!.contains("0x02") {
                problems.append("the CLOSE(protocol violation) of \(record.source.port) carries an ACK frame")
            }
        }
        #expect(problems.isEmpty, "seed \(Self.seed), capture kept at \(capture.path):\n\(problems.prefix(40).joined(separator: "\n"))")
        if problems.isEmpty && coverage.isEmpty { try? FileManager.default.removeItem(at: directory) }
    }

    @Test func heuristicDecodesOtherPortsAndLeavesOtherTrafficAlone() async throws {
        guard TShark.executable != nil else {
            Issue.record(Comment(rawValue: TShark.missing))
            return
        }
        let recorder = try Self.engineExchanges()
        let expectations = recorder.records.map { DissectorExpectation(datagram: $0.datagram) }
        let directory = try TShark.scratchDirectory("dissector-heuristic")
        let capture = directory.appendingPathComponent("heuristic.pcap")
        // The server on 39000, no port of the preference (9000-9001), and every datagram from a
        // client port of its own, so that each one is a conversation of its own that only the
        // heuristic can claim (once it claimed one, the rest of the conversation follows).
        var file = recorder.capture { i, port in port == 9000 ? 39000 : UInt16(41000 + i) }
        // and traffic that is not RUDP: a DNS query, and bytes that start like a RUDP header but
        // have the wrong size for their type
        let host = PcapFile.Endpoint.ipv4(192, 0, 2, 1, port: 40000)
        let dns: [UInt8] =
            [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 7] + Array("example".utf8) + [3] + Array("com".utf8) + [0, 0, 1, 0, 1]
        file.append(dns, from: host, to: .ipv4(192, 0, 2, 53, port: 53), at: 1_767_226_000_000_000_000)
        var notRUDP: [UInt8] = [0x02, 0x02, 0x00] + [UInt8](repeating: 0x11, count: 60)
        Datagram.seal(&notRUDP)
        file.append(notRUDP, from: host, to: .ipv4(192, 0, 2, 54, port: 40001), at: 1_767_226_000_000_000_001)
        try file.write(to: capture)

        var (problems, rows) = try await Self.decode(capture, expectations, in: directory)
        problems = problems.filter { !$0.hasPrefix("tshark decoded") }
        if rows.count == expectations.count + 2 {
            if !(rows[expectations.count]["frame.protocols"] ?? "").hasSuffix(":dns") {
                problems.append("the DNS query decodes as \(rows[expectations.count]["frame.protocols"] ?? "")")
            }
            if (rows[expectations.count + 1]["frame.protocols"] ?? "").contains("rudp2") {
                problems.append("a 67-byte ACCEPT-like datagram (an ACCEPT is 50) was taken for RUDP")
            }
        } else {
            problems.append("tshark decoded \(rows.count) datagrams, the capture has \(expectations.count + 2)")
        }
        #expect(problems.isEmpty, "seed \(Self.seed), capture kept at \(capture.path):\n\(problems.prefix(40).joined(separator: "\n"))")
        if problems.isEmpty { try? FileManager.default.removeItem(at: directory) }
    }
}
