import Foundation
import RUDPWire
import Testing

/// One test vector from `Specs/vectors/*.json` (format: `Specs/vectors/README.md`).
struct TestVector: Sendable, CustomTestStringConvertible {
    enum Expectation: Sendable {
        /// The bytes parse to this packet, and the packet serializes to the bytes.
        case packet(Packet)
        /// Parsing the bytes throws the `WireError` with this `name`.
        case error(String)
        /// The vector itself could not be read; the test reports this.
        case unreadable(String)
    }

    var file: String
    var name: String
    var description: String
    var bytes: [UInt8]
    var expectation: Expectation

    var testDescription: String { "\(file): \(name)" }
}

enum TestVectors {
    /// `Specs/vectors`, found from this source file's path (no SwiftPM resources).
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Support
        .deletingLastPathComponent()  // RUDPWireTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // repository root
        .appendingPathComponent("Specs/vectors", isDirectory: true)

    /// The file of datagram-level vectors (packet plus CRC-32C trailer); read by ``DatagramVectors``.
    static let datagramFile = "datagrams.json"

    /// Every packet-level vector of every `*.json` file except ``datagramFile``, sorted by file
    /// name; problems become `.unreadable` vectors.
    static let all: [TestVector] = load()

    static func load() -> [TestVector] {
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
                .filter { $0.hasSuffix(".json") && $0 != datagramFile }
                .sorted()
        } catch {
            return [
                TestVector(
                    file: directory.path, name: "(directory)", description: "", bytes: [],
                    expectation: .unreadable("cannot list \(directory.path): \(error)"))
            ]
        }
        if files.isEmpty {
            return [
                TestVector(
                    file: directory.path, name: "(directory)", description: "", bytes: [],
                    expectation: .unreadable("no *.json files in \(directory.path)"))
            ]
        }
        var vectors: [TestVector] = []
        for file in files {
            do {
                let data = try Data(contentsOf: directory.appendingPathComponent(file))
                let root = try JSONDecoder().decode(JSONValue.self, from: data)
                let object = try root.object(keys: ["description", "vectors"], at: file)
                for (i, element) in try object.array("vectors").enumerated() {
                    vectors.append(readVector(element, file: file, index: i))
                }
            } catch {
                vectors.append(
                    TestVector(
                        file: file, name: "(file)", description: "", bytes: [],
                        expectation: .unreadable("\(error)")))
            }
        }
        return vectors
    }

    static func readVector(_ value: JSONValue, file: String, index: Int) -> TestVector {
        var name = "#\(index)"
        do {
            guard case .object(let dict) = value else { throw VectorError("vector \(index) is not an object") }
            if case .string(let n)? = dict["name"] { name = n }
            let expectsPacket = dict["packet"] != nil
            let o = try value.object(keys: ["name", "description", "hex", expectsPacket ? "packet" : "error"], at: name)
            let bytes = try hexBytes(o.string("hex"), at: "\(name).hex")
            let expectation: TestVector.Expectation
            if expectsPacket {
                expectation = .packet(try packet(o.value("packet"), at: "\(name).packet"))
            } else {
                expectation = .error(try o.string("error"))
            }
            return TestVector(
                file: file, name: try o.string("name"), description: try o.string("description"),
                bytes: bytes, expectation: expectation)
        } catch {
            return TestVector(file: file, name: name, description: "", bytes: [], expectation: .unreadable("\(error)"))
        }
    }

    // MARK: JSON to Packet

    /// Hex digits; spaces and `|` separate fields for readability and are ignored.
    static func hexBytes(_ text: String, at path: String) throws -> [UInt8] {
        let digits = text.filter { $0 != " " && $0 != "|" }
        guard digits.count % 2 == 0 else { throw VectorError("\(path): odd number of hex digits") }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var i = digits.startIndex
        while i < digits.endIndex {
            let j = digits.index(i, offsetBy: 2)
            let pair = digits[i..<j]
            guard pair.allSatisfy({ $0.isHexDigit && !$0.isUppercase }), let b = UInt8(pair, radix: 16) else {
                throw VectorError("\(path): \"\(pair)\" is not two lowercase hex digits")
            }
            out.append(b)
            i = j
        }
        return out
    }

    static func packet(_ value: JSONValue, at path: String) throws -> Packet {
        let loose = try value.object(keys: [], at: path)
        let type = try loose.string("type")
        // Secure packets (PROTOCOL.md section 20) name their flags and their extra fields.
        let hasFlags = loose.dict["flags"] != nil
        var keys: [String]
        switch type {
        case "connect": keys = ["parameters", "cookie"]
        case "accept": keys = ["parameters"]
        case "data": keys = ["frames"]
        case "secure_connect": keys = ["parameters", "client_random", "cookie"]
        case "secure_accept": keys = ["parameters", "server_random"]
        case "retry": keys = ["cookie"]
        default: throw VectorError("\(path).type: unknown packet type \"\(type)\"")
        }
        keys += ["type", "destination", "packet_number"] + (hasFlags ? ["flags"] : [])
        let o = try value.object(keys: keys, at: path)
        let flags = hasFlags ? PacketFlags(rawValue: try o.uint("flags")) : .plain
        let destination = try connectionID(o.string("destination"), at: "\(path).destination")
        let pn = try o.uint62("packet_number")
        let body: Packet.Body
        switch type {
        case "connect":
            body = .connect(
                try parameters(o.value("parameters"), at: "\(path).parameters"),
                cookie: try hexBytes(o.string("cookie"), at: "\(path).cookie"))
        case "accept": body = .accept(try parameters(o.value("parameters"), at: "\(path).parameters"))
        case "secure_connect":
            body = .secureConnect(
                try parameters(o.value("parameters"), at: "\(path).parameters"),
                clientRandom: try hexBytes(o.string("client_random"), at: "\(path).client_random"),
                cookie: try hexBytes(o.string("cookie"), at: "\(path).cookie"))
        case "secure_accept":
            body = .secureAccept(
                try parameters(o.value("parameters"), at: "\(path).parameters"),
                serverRandom: try hexBytes(o.string("server_random"), at: "\(path).server_random"))
        case "retry":
            body = .retry(cookie: try hexBytes(o.string("cookie"), at: "\(path).cookie"))
        default:
            body = .data(
                try o.array("frames").enumerated().map { i, f throws in
                    try frame(f, at: "\(path).frames[\(i)]")
                })
        }
        return Packet(destination: destination, packetNumber: pn, body: body, flags: flags)
    }

    /// The 8 data bytes of PATH_CHALLENGE / PATH_RESPONSE: 16 lowercase hex digits, read big-endian.
    static func pathData(_ text: String, at path: String) throws -> UInt64 {
        guard text.count == 16, text.allSatisfy({ $0.isHexDigit && !$0.isUppercase }), let v = UInt64(text, radix: 16) else {
            throw VectorError("\(path): path data is 16 lowercase hex digits, not \"\(text)\"")
        }
        return v
    }

    static func connectionID(_ text: String, at path: String) throws -> ConnectionID {
        guard text.count == 16, text.allSatisfy({ $0.isHexDigit && !$0.isUppercase }), let v = UInt64(text, radix: 16) else {
            throw VectorError("\(path): a connection ID is 16 lowercase hex digits, not \"\(text)\"")
        }
        return ConnectionID(v)
    }

    static func parameters(_ value: JSONValue, at path: String) throws -> TransportParameters {
        let o = try value.object(
            keys: [
                "source_connection_id", "max_datagram_size", "max_message_size",
                "initial_max_data", "channel_count", "message_window", "max_ack_delay_us",
            ], at: path)
        return TransportParameters(
            sourceConnectionID: try connectionID(o.string("source_connection_id"), at: "\(path).source_connection_id"),
            maxDatagramSize: try o.uint("max_datagram_size"),
            maxMessageSize: try o.uint("max_message_size"),
            initialMaxData: try o.uint62("initial_max_data"),
            channelCount: try o.uint("channel_count"),
            messageWindow: try o.uint("message_window"),
            maxAckDelayMicroseconds: try o.uint("max_ack_delay_us")
        )
    }

    static func frame(_ value: JSONValue, at path: String) throws -> Frame {
        let type = try value.object(keys: [], at: path).string("type")
        switch type {
        case "ping":
            _ = try value.object(keys: ["type"], at: path)
            return .ping
        case "ack":
            let o = try value.object(keys: ["type", "cumulative", "ack_delay_us", "ranges"], at: path)
            let ranges = try o.array("ranges").enumerated().map { i, r throws in
                let ro = try r.object(keys: ["lower", "upper"], at: "\(path).ranges[\(i)]")
                return AckRange(try ro.uint62("lower"), try ro.uint62("upper"))
            }
            return .ack(
                AckFrame(
                    cumulative: try o.uint62("cumulative"), ackDelayMicroseconds: try o.uint("ack_delay_us"),
                    ranges: ranges))
        case "max_data":
            return .maxData(try value.object(keys: ["type", "value"], at: path).uint62("value"))
        case "ack_floor":
            return .ackFloor(try value.object(keys: ["type", "value"], at: path).uint62("value"))
        case "message":
            let o = try value.object(keys: ["type", "channel", "mode", "sequence", "total_length", "offset", "payload"], at: path)
            let mode: DeliveryMode
            switch try o.string("mode") {
            case "reliable_ordered": mode = .reliableOrdered
            case "reliable_unordered": mode = .reliableUnordered
            case "unreliable": mode = .unreliable
            case let other: throw VectorError("\(path).mode: unknown delivery mode \"\(other)\"")
            }
            return .message(
                MessageFrame(
                    channel: try o.uint("channel"), mode: mode, sequence: try o.uint("sequence"),
                    totalLength: try o.uint("total_length"), offset: try o.uint("offset"),
                    payload: try hexBytes(o.string("payload"), at: "\(path).payload")))
        case "path_challenge":
            return .pathChallenge(try pathData(value.object(keys: ["type", "data"], at: path).string("data"), at: "\(path).data"))
        case "path_response":
            return .pathResponse(try pathData(value.object(keys: ["type", "data"], at: path).string("data"), at: "\(path).data"))
        case "close":
            let o = try value.object(keys: ["type", "code", "reason"], at: path)
            return .close(CloseFrame(code: CloseCode(rawValue: try o.uint("code")), reason: try o.string("reason")))
        default:
            throw VectorError("\(path).type: unknown frame type \"\(type)\"")
        }
    }
}

struct VectorError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A JSON value, decoded strictly: integers stay integers, and objects are checked for unknown keys.
enum JSONValue: Decodable, Sendable {
    case null
    case bool(Bool)
    case integer(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let v = try? c.decode(Bool.self) {
            self = .bool(v)
        } else if let v = try? c.decode(Int64.self) {
            self = .integer(v)
        } else if let v = try? c.decode(Double.self) {
            self = .double(v)
        } else if let v = try? c.decode(String.self) {
            self = .string(v)
        } else if let v = try? c.decode([JSONValue].self) {
            self = .array(v)
        } else {
            self = .object(try c.decode([String: JSONValue].self))
        }
    }

    /// This value as an object. With a non-empty `keys`, it must have exactly those keys.
    func object(keys: [String], at path: String) throws -> JSONObject {
        guard case .object(let dict) = self else { throw VectorError("\(path): expected an object") }
        if !keys.isEmpty && Set(dict.keys) != Set(keys) {
            throw VectorError("\(path): keys are \(dict.keys.sorted()), expected \(keys.sorted())")
        }
        return JSONObject(dict: dict, path: path)
    }
}

struct JSONObject {
    var dict: [String: JSONValue]
    var path: String

    func value(_ key: String) throws -> JSONValue {
        guard let v = dict[key] else { throw VectorError("\(path).\(key): missing") }
        return v
    }

    func string(_ key: String) throws -> String {
        guard case .string(let s) = try value(key) else { throw VectorError("\(path).\(key): expected a string") }
        return s
    }

    func array(_ key: String) throws -> [JSONValue] {
        guard case .array(let a) = try value(key) else { throw VectorError("\(path).\(key): expected an array") }
        return a
    }

    /// A JSON integer that fits `T` (fields of at most 32 bits).
    func uint<T: FixedWidthInteger & UnsignedInteger>(_ key: String) throws -> T {
        guard case .integer(let i) = try value(key), let v = T(exactly: i) else {
            throw VectorError("\(path).\(key): expected an integer in 0...\(T.max)")
        }
        return v
    }

    /// A 64-bit wire field, written as a string of decimal digits so it survives JSON parsers with double-only numbers.
    func uint62(_ key: String) throws -> UInt64 {
        let s = try string(key)
        guard !s.isEmpty, s.allSatisfy(\.isASCII), s.allSatisfy(\.isNumber), s == "0" || !s.hasPrefix("0"),
            let v = UInt64(s)
        else {
            throw VectorError("\(path).\(key): expected a decimal string without leading zeros, got \"\(s)\"")
        }
        return v
    }
}

/// `Packet.parseHeader` over an array, keeping the typed error.
func parseHeader(_ bytes: [UInt8]) throws(WireError) -> Packet.Header {
    let result = bytes.withUnsafeBytes { raw in Result { () throws(WireError) -> Packet.Header in try Packet.parseHeader(raw) } }
    return try result.get()
}
