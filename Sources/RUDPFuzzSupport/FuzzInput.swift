/// A cursor over a fuzzer's input that never fails: once the bytes run out every read returns
/// zero, so any input, however short, decodes to some well-defined sequence of choices.
///
/// ```swift
/// var input = FuzzInput([0x03, 0x10])
/// let op = input.readByte()            // 0x03
/// let size = input.readUInt16()         // 0x1000 (the missing byte reads as zero)
/// ```
public struct FuzzInput: Sendable {
    /// The whole input.
    public let bytes: [UInt8]
    /// Index of the next unread byte.
    public private(set) var position = 0

    /// Creates a cursor at the start of `bytes`.
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Whether every byte has been read.
    public var isExhausted: Bool { position >= bytes.count }

    /// Bytes not yet read.
    public var remaining: Int { max(0, bytes.count - position) }

    /// The next byte, or zero past the end.
    public mutating func readByte() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    /// The next two bytes as a big-endian integer (zero-filled past the end).
    public mutating func readUInt16() -> UInt16 {
        UInt16(readByte()) << 8 | UInt16(readByte())
    }

    /// The next eight bytes as a big-endian integer (zero-filled past the end).
    public mutating func readUInt64() -> UInt64 {
        var value: UInt64 = 0
        for _ in 0..<8 { value = value << 8 | UInt64(readByte()) }
        return value
    }

    /// Up to `count` next bytes (fewer when the input ends first).
    public mutating func readBytes(_ count: Int) -> [UInt8] {
        let n = min(max(0, count), remaining)
        defer { position += n }
        return Array(bytes[position..<(position + n)])
    }

    /// A number in `0 ..< bound` taken from the next byte (`bound` must be in 1 ... 256).
    public mutating func choose(_ bound: Int) -> Int {
        precondition(bound >= 1 && bound <= 256, "choose(_:) bound out of range")
        return Int(readByte()) % bound
    }
}
