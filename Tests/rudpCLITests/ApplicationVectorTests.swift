import Foundation
import RUDPCore
import RUDPSecurity
import Testing

@testable import rudp

/// Specs/vectors/applications/applications.json against the CLI's encoder and decoder: the file-transfer
/// messages of `rudp send`/`rudp recv` and the echo service's replies (Specs/APPLICATIONS.md).
@Suite struct ApplicationVectorTests {
    static var vectors: [String: Any] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Specs/vectors/applications/applications.json")
        let data = (try? Data(contentsOf: url)) ?? Data()
        return (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    static var fileTransfer: [String: Any] { vectors["fileTransfer"] as? [String: Any] ?? [:] }

    static func bytes(_ hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    static func message(_ object: [String: Any]) -> FileTransferMessage? {
        switch object["kind"] as? String {
        case "header":
            guard let name = object["name"] as? String, let size = (object["size"] as? NSNumber)?.uint64Value,
                let digest = object["sha256"] as? String
            else { return nil }
            return .header(.init(name: name, size: size, sha256: bytes(digest)))
        case "content":
            return (object["content"] as? String).map { .chunk(bytes($0)[...]) }
        case "verdict":
            guard let intact = object["intact"] as? Bool, let reason = object["reason"] as? String else { return nil }
            return .verdict(.init(isIntact: intact, reason: reason))
        default:
            return nil
        }
    }

    @Test func validMessagesEncodeAndDecodeExactly() throws {
        let valid = try #require(Self.fileTransfer["valid"] as? [[String: Any]])
        #expect(valid.count >= 9)
        for vector in valid {
            let name = vector["name"] as? String ?? "?"
            let hex = try #require(vector["hex"] as? String)
            let object = try #require(vector["message"] as? [String: Any])
            let message = try #require(Self.message(object), "\(name)")
            #expect(message.encoded() == Self.bytes(hex), "\(name): encoding")
            #expect(try FileTransferMessage.decode(Self.bytes(hex)) == message, "\(name): decoding")
            // The in-place paths that send and recv use for content.
            let received = FileTransferMessage.chunkContent(of: ByteBuffer(bytes: Self.bytes(hex)))
            if case .chunk(let content) = message {
                #expect(FileTransferMessage.encodedChunk(content) == ByteBuffer(bytes: Self.bytes(hex)), "\(name): encodedChunk")
                #expect(received.map { Array($0.readableBytesView) } == Array(content), "\(name): chunkContent")
            } else {
                #expect(received == nil, "\(name): chunkContent of another message")
            }
        }
    }

    @Test func invalidMessagesAreRefused() throws {
        let invalid = try #require(Self.fileTransfer["invalid"] as? [[String: Any]])
        #expect(invalid.count >= 10)
        for vector in invalid {
            let hex = try #require(vector["hex"] as? String)
            #expect(throws: CLIError.self, "\(vector["name"] as? String ?? "?")") { try FileTransferMessage.decode(Self.bytes(hex)) }
        }
    }

    @Test func theTranscriptIsAConsistentTransfer() throws {
        let transcript = try #require(Self.fileTransfer["transcript"] as? [[String: Any]])
        let messages = try transcript.map { try FileTransferMessage.decode(Self.bytes($0["hex"] as? String ?? "")) }
        guard messages.count == 3, case .header(let header) = messages[0], case .chunk(let content) = messages[1],
            case .verdict(let verdict) = messages[2]
        else {
            Issue.record("expected header, content, verdict: \(messages)")
            return
        }
        #expect(UInt64(content.count) == header.size)
        #expect(SHA256.hash(Array(content)) == header.sha256)
        #expect(verdict.isIntact)
    }

    @Test func echoRepliesMatch() throws {
        let echo = try #require(Self.vectors["echo"] as? [[String: Any]])
        #expect(echo.count >= 4)
        for vector in echo {
            let request = Self.bytes(try #require(vector["request"] as? String))
            let reply = Self.bytes(try #require(vector["reply"] as? String))
            #expect(EchoServerCommand.reply(to: request) == reply, "\(vector["name"] as? String ?? "?")")
        }
    }

    @Test func longTextIsCutAtACharacterBoundary() throws {
        let name = String(repeating: "é", count: 600)  // 1,200 bytes of 2-byte characters
        let encoded = FileTransferMessage.header(.init(name: name, size: 0, sha256: SHA256.hash([]))).encoded()
        guard case .header(let decoded) = try FileTransferMessage.decode(encoded) else {
            Issue.record("not a header")
            return
        }
        #expect(decoded.name == String(repeating: "é", count: 512))
    }
}
