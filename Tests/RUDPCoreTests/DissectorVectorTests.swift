import Foundation
import RUDPWire
import Testing

/// Every vector of `Specs/vectors` goes through `Specs/wireshark/rudp.lua` (issue 12, point 9):
/// the datagram vectors as they are, the packet vectors as datagrams (a plain packet with its
/// CRC-32C trailer, a protected one with a 16-byte tag of zeros), the protected packets and the
/// secure handshakes of `security/security.json`, and one datagram too large for IPv4 (over
/// IPv6). A valid vector must decode to exactly what the reference codec reads in it, with no
/// error; an invalid one must show the error the reference reports (`WireError.name`, PROTOCOL.md
/// 6.1), which is the vector's own `error` except for packets shorter than a header, which are
/// `truncated` as datagrams (6.2 step 3). No vector may raise a Lua error.
@Suite(.enabled(if: TShark.shouldRun, "tshark is not installed (Debian package tshark): skipped outside CI; with CI=true this fails"))
struct DissectorVectorTests {
    struct Case {
        var name: String
        var datagram: [UInt8]
        /// The vector's own error name (packet vectors and datagram vectors).
        var vectorError: String?
        /// Whether the dissector's reading is checked field by field (false for datagrams whose
        /// tag is damaged: the dissector cannot verify tags, so they look valid).
        var compared = true
    }

    static func bytes(_ hex: String) throws -> [UInt8] {
        let digits = Array(hex.filter { $0 != " " && $0 != "|" })
        guard digits.count % 2 == 0 else { throw TShark.Failure(description: "odd hex string \(hex)") }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var i = 0
        while i < digits.count {
            guard let b = UInt8(String(digits[i...i + 1]), radix: 16) else { throw TShark.Failure(description: "bad hex \(hex)") }
            out.append(b)
            i += 2
        }
        return out
    }

    static func cases() throws -> [Case] {
        let directory = TShark.repository.appendingPathComponent("Specs/vectors")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }.sorted()
        var cases: [Case] = []
        for file in files {
            let data = try Data(contentsOf: directory.appendingPathComponent(file))
            let root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            let vectors = try #require(root["vectors"] as? [[String: Any]], "\(file) has no vectors")
            for vector in vectors {
                let name = try #require(vector["name"] as? String)
                var datagram = try bytes(try #require(vector["hex"] as? String))
                if file != "datagrams.json" {
                    if DissectorExpectation.isProtected(datagram) {
                        datagram += [UInt8](repeating: 0, count: Packet.protectionTagSize)
                    } else {
                        Datagram.seal(&datagram)
                    }
                }
                cases.append(Case(name: "\(file) \(name)", datagram: datagram, vectorError: vector["error"] as? String))
            }
        }
        let security = try Data(contentsOf: directory.appendingPathComponent("security/security.json"))
        let root = try #require(try JSONSerialization.jsonObject(with: security) as? [String: Any])
        for exchange in try #require(root["handshake_exchange"] as? [[String: Any]]) {
            let exchangeName = try #require(exchange["name"] as? String)
            for d in try #require(exchange["datagrams"] as? [[String: Any]]) {
                cases.append(
                    Case(
                        name: "security.json \(exchangeName) \(try #require(d["name"] as? String))",
                        datagram: try bytes(try #require(d["datagram"] as? String))))
            }
        }
        for p in try #require(root["packets"] as? [[String: Any]]) {
            cases.append(
                Case(
                    name: "security.json \(try #require(p["name"] as? String))",
                    datagram: try bytes(try #require(p["datagram"] as? String))))
        }
        for p in try #require(root["invalid_packets"] as? [[String: Any]]) {
            cases.append(
                Case(
                    name: "security.json \(try #require(p["name"] as? String))",
                    datagram: try bytes(try #require(p["datagram"] as? String)), compared: false))
        }
        return cases
    }

    @Test func everyVectorDecodesAsTheReferenceReadsIt() async throws {
        guard TShark.executable != nil else {
            Issue.record(Comment(rawValue: TShark.missing))
            return
        }
        var cases = try Self.cases()
        var problems: [String] = []
        // UDP hands an empty payload to no dissector: the empty datagram vector cannot be shown.
        cases.removeAll { $0.datagram.isEmpty }
        // A datagram of 65,508 bytes fits no IPv4 packet; over IPv6 it does (oversize).
        let length = Packet.maximumDatagramSize + 1 - Packet.headerSize - MessageFrame.overhead - Datagram.trailerSize
        var oversize = Packet(
            destination: ConnectionID(7), packetNumber: 1,
            body: .data([
                .message(
                    MessageFrame(
                        channel: 0, mode: .unreliable, sequence: 0, totalLength: UInt32(length),
                        offset: 0, payload: [UInt8](repeating: 0x6f, count: length)))
            ])
        )
        .serialized()
        Datagram.seal(&oversize)
        cases.append(Case(name: "a datagram of \(oversize.count) bytes", datagram: oversize, vectorError: "oversize"))

        var file = PcapFile()
        let client = PcapFile.Endpoint.ipv4(192, 0, 2, 1, port: 50000)
        let client6 = PcapFile.Endpoint.ipv6(1, port: 50000)
        var time: UInt64 = 1_767_225_600 * 1_000_000_000
        for c in cases {
            if c.datagram.count > Packet.maximumDatagramSize {
                file.append(c.datagram, from: client6, to: .ipv6(2, port: 9000), at: time)
            } else {
                file.append(c.datagram, from: client, to: .ipv4(192, 0, 2, 2, port: 9000), at: time)
            }
            time += 1_000_000
        }
        let directory = try TShark.scratchDirectory("dissector-vectors")
        let capture = directory.appendingPathComponent("vectors.pcap")
        try file.write(to: capture)

        let fields = ["frame.number"] + DissectorExpectation.fields + DissectorExpectation.diagnostics
        let (rows, output) = try await TShark.fields(fields, of: capture, in: directory)
        if output.problems.contains("Lua") || output.problems.lowercased().contains("error") {
            problems.append("tshark reported: \(output.problems)")
        }
        if rows.count != cases.count { problems.append("tshark decoded \(rows.count) datagrams, the capture has \(cases.count)") }
        var errorsShown: Set<String> = []
        for (row, c) in zip(rows, cases) {
            let expected = DissectorExpectation(datagram: c.datagram)
            if !(row["_ws.lua.error"] ?? "").isEmpty { problems.append("\(c.name): Lua error") }
            if !(row["frame.protocols"] ?? "").hasSuffix(":rudp2") {
                problems.append("\(c.name): not decoded as RUDP (\(row["frame.protocols"] ?? ""))")
                continue
            }
            if let error = c.vectorError, expected.error != error,
                !(expected.error == "truncated" && c.datagram.count < Packet.headerSize + Datagram.trailerSize)
            {
                problems.append(
                    "\(c.name): the reference reports \(expected.error ?? "no error") for the datagram, the vector says \(error)")
            }
            guard c.compared else { continue }
            for line in expected.differences(from: row) { problems.append("\(c.name): \(line)") }
            if let error = expected.error {
                errorsShown.insert(error)
                if !(row["_ws.expert.message"] ?? "").contains("\(error): ") {
                    problems.append("\(c.name): no expert info named \(error) (\(row["_ws.expert.message"] ?? ""))")
                }
            } else if !(row["_ws.malformed"] ?? "").isEmpty {
                problems.append("\(c.name): valid, but marked malformed: \(row["_ws.expert.message"] ?? "")")
            }
        }
        // every error of PROTOCOL.md 6.1
        let allErrors: Set<String> = [
            "oversize", "truncated", "checksumMismatch", "unsupportedVersion", "unknownPacketType",
            "invalidFlags", "zeroConnectionID", "valueOutOfRange", "invalidTransportParameter",
            "trailingBytes", "invalidPadding", "emptyPacket", "unknownFrameType", "tooManyAckRanges",
            "invalidAckRanges", "invalidFragment", "invalidCloseReason",
        ]
        if errorsShown != allErrors { problems.append("errors not exercised: \(allErrors.subtracting(errorsShown).sorted())") }
        problems += try await DissectorCaptureTests.detailProblems(capture, in: directory).filter { !$0.contains("Malformed") }
        #expect(
            problems.isEmpty, "\(cases.count) datagrams, capture kept at \(capture.path):\n\(problems.prefix(40).joined(separator: "\n"))")
        if problems.isEmpty { try? FileManager.default.removeItem(at: directory) }
    }
}
