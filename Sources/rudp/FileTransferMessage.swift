import NIOCore
import RUDPSecurity

/// The messages of `rudp send` / `rudp recv` (specified in Specs/APPLICATIONS.md, with vectors in
/// Specs/vectors/applications/applications.json), all on channel 0, reliable and ordered:
///
/// 1. sender → receiver: one ``header(_:)`` (file name, size, SHA-256),
/// 2. sender → receiver: ``chunk(_:)`` messages with the content, in order (64 KiB each),
/// 3. receiver → sender: one ``verdict(_:)`` once the size and SHA-256 were checked.
///
/// Each message starts with a one-byte tag. A header is `0x01, version 1, size (UInt64,
/// big-endian), SHA-256 (32 bytes), name length (UInt16, big-endian), name (UTF-8)`; a chunk is
/// `0x02` and the bytes; a verdict is `0x03, 0 (intact) or 1 (refused), reason (UTF-8)`.
///
/// ```swift
/// let header = FileTransferMessage.header(.init(name: "a.bin", size: 3, sha256: SHA256.hash([1, 2, 3])))
/// let decoded = try FileTransferMessage.decode(header.encoded())
/// ```
enum FileTransferMessage: Equatable, Sendable {
    /// What the sender announces before the content.
    struct Header: Equatable, Sendable {
        /// The file's name on the sender (its last path component), for display.
        var name: String
        /// The content's length in bytes.
        var size: UInt64
        /// The content's SHA-256 digest (32 bytes).
        var sha256: [UInt8]
    }

    /// The receiver's answer after the last chunk.
    struct Verdict: Equatable, Sendable {
        /// Whether the file arrived complete, matched its SHA-256 and was saved.
        var isIntact: Bool
        /// Why not (or a short confirmation).
        var reason: String
    }

    case header(Header)
    case chunk(ArraySlice<UInt8>)
    case verdict(Verdict)

    /// The content bytes per chunk message.
    static let chunkSize = 64 * 1024
    /// The longest file name (in UTF-8 bytes) or verdict reason accepted.
    static let maxTextBytes = 1024

    private static let headerTag: UInt8 = 1
    private static let chunkTag: UInt8 = 2
    private static let verdictTag: UInt8 = 3
    private static let version: UInt8 = 1

    /// The message as sent on the wire.
    func encoded() -> [UInt8] {
        switch self {
        case .header(let header):
            let name = Self.utf8(header.name)
            var bytes: [UInt8] = [Self.headerTag, Self.version]
            bytes.reserveCapacity(2 + 8 + 32 + 2 + name.count)
            for shift in stride(from: 56, through: 0, by: -8) {
                bytes.append(UInt8(truncatingIfNeeded: header.size >> UInt64(shift)))
            }
            bytes.append(contentsOf: header.sha256)
            bytes.append(UInt8(name.count >> 8))
            bytes.append(UInt8(name.count & 0xff))
            bytes.append(contentsOf: name)
            return bytes
        case .chunk(let content):
            var bytes: [UInt8] = [Self.chunkTag]
            bytes.reserveCapacity(1 + content.count)
            bytes.append(contentsOf: content)
            return bytes
        case .verdict(let verdict):
            return [Self.verdictTag, verdict.isIntact ? 0 : 1] + Self.utf8(verdict.reason)
        }
    }

    /// A chunk message holding `content`, built in the buffer that is sent: `encoded()` would
    /// build an array that `send` then copies into a buffer.
    static func encodedChunk(_ content: ArraySlice<UInt8>) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: 1 + content.count)
        buffer.writeInteger(chunkTag)
        buffer.writeBytes(content)
        return buffer
    }

    /// The content of a received chunk message, read in place (a slice of `message`, no copy);
    /// nil if `message` is another kind of message, which ``decode(_:)`` then reads.
    static func chunkContent(of message: ByteBuffer) -> ByteBuffer? {
        guard message.readableBytes >= 1, message.getInteger(at: message.readerIndex, as: UInt8.self) == chunkTag else { return nil }
        return message.getSlice(at: message.readerIndex + 1, length: message.readableBytes - 1)
    }

    /// Parses a message, or says what is wrong with it.
    static func decode(_ bytes: [UInt8]) throws -> FileTransferMessage {
        guard let tag = bytes.first else { throw CLIError("the peer sent an empty message") }
        switch tag {
        case headerTag:
            guard bytes.count >= 2 + 8 + 32 + 2 else {
                throw CLIError("the peer sent a truncated file header (\(bytes.count) bytes)")
            }
            guard bytes[1] == version else {
                throw CLIError("the peer speaks file-transfer version \(bytes[1]); this rudp speaks version \(version)")
            }
            var size: UInt64 = 0
            for index in 2..<10 { size = size << 8 | UInt64(bytes[index]) }
            let digest = Array(bytes[10..<42])
            let nameLength = Int(bytes[42]) << 8 | Int(bytes[43])
            guard nameLength <= maxTextBytes, bytes.count == 44 + nameLength else {
                throw CLIError("the peer sent a malformed file header (name length \(nameLength), message \(bytes.count) bytes)")
            }
            let name = printable(String(decoding: bytes[44...], as: UTF8.self))
            return .header(Header(name: name, size: size, sha256: digest))
        case chunkTag:
            return .chunk(bytes[1...])
        case verdictTag:
            guard bytes.count >= 2, bytes[1] <= 1, bytes.count <= 2 + maxTextBytes else {
                throw CLIError("the peer sent a malformed verdict")
            }
            return .verdict(Verdict(isIntact: bytes[1] == 0, reason: printable(String(decoding: bytes[2...], as: UTF8.self))))
        default:
            throw CLIError("the peer sent an unknown message (tag \(tag)); is it a `rudp send`/`rudp recv` of this version?")
        }
    }

    /// `text` as UTF-8, cut at a character boundary to at most ``maxTextBytes`` bytes.
    static func utf8(_ text: String) -> [UInt8] {
        var bytes = Array(text.utf8)
        guard bytes.count > maxTextBytes else { return bytes }
        var end = maxTextBytes
        while end > 0 && (bytes[end] & 0xC0) == 0x80 { end -= 1 }
        bytes.removeSubrange(end...)
        return bytes
    }

    /// `text` without control characters (a peer's text is printed on the user's terminal).
    private static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : $0 }))
    }

    /// A short name of the message kind, for error messages.
    var kind: String {
        switch self {
        case .header: return "file header"
        case .chunk: return "content chunk"
        case .verdict: return "verdict"
        }
    }
}
