import Foundation
import RUDPWire

/// One CRC-32C example from the `checksums` list of `Specs/vectors/datagrams.json`.
struct ChecksumVector: Sendable, CustomStringConvertible {
    var name: String
    var description: String
    var input: [UInt8]
    var checksum: UInt32
}

/// The contents of `Specs/vectors/datagrams.json` (format: `Specs/vectors/README.md`): datagram-level
/// vectors, whose `hex` is a whole UDP payload (packet and CRC-32C trailer), and CRC-32C examples.
///
/// Problems reading the file become `.unreadable` vectors or entries of ``problems``, so that the
/// tests report them instead of silently testing less.
struct DatagramVectors: Sendable {
    var vectors: [TestVector] = []
    var checksums: [ChecksumVector] = []
    var problems: [String] = []

    static let shared = DatagramVectors.load()

    static func load() -> DatagramVectors {
        var result = DatagramVectors()
        let file = TestVectors.datagramFile
        do {
            let data = try Data(contentsOf: TestVectors.directory.appendingPathComponent(file))
            let root = try JSONDecoder().decode(JSONValue.self, from: data)
            let object = try root.object(keys: ["description", "checksums", "vectors"], at: file)
            for (i, element) in try object.array("vectors").enumerated() {
                result.vectors.append(TestVectors.readVector(element, file: file, index: i))
            }
            for (i, element) in try object.array("checksums").enumerated() {
                do {
                    result.checksums.append(try checksum(element, at: "\(file).checksums[\(i)]"))
                } catch {
                    result.problems.append("\(error)")
                }
            }
        } catch {
            result.problems.append("\(file): \(error)")
        }
        return result
    }

    static func checksum(_ value: JSONValue, at path: String) throws -> ChecksumVector {
        let o = try value.object(keys: ["name", "description", "input", "crc32c"], at: path)
        let text = try o.string("crc32c")
        guard text.count == 8, text.allSatisfy({ $0.isHexDigit && !$0.isUppercase }), let crc = UInt32(text, radix: 16) else {
            throw VectorError("\(path).crc32c: expected 8 lowercase hex digits, got \"\(text)\"")
        }
        return ChecksumVector(
            name: try o.string("name"), description: try o.string("description"),
            input: try TestVectors.hexBytes(o.string("input"), at: "\(path).input"), checksum: crc)
    }
}
