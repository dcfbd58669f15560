import RUDPCore

/// The bytes the engine fuzz harness sends as messages, built so that a delivered message can
/// be traced to the send that produced it.
///
/// A payload of at least ``tagSize`` bytes starts with its big-endian send counter (unique per
/// direction) followed by filler derived from the counter, so a message is recognised exactly by
/// regenerating it. Shorter payloads cannot carry a counter; they are a fixed pattern of their
/// size and are recognised by size, channel and mode only.
///
/// ```swift
/// let bytes = EngineFuzzPayload.make(counter: 7, size: 40)
/// EngineFuzzPayload.counter(of: bytes)     // 7
/// ```
public enum EngineFuzzPayload {
    /// Smallest payload that carries its counter.
    public static let tagSize = 8

    /// The payload of send number `counter` with `size` bytes.
    public static func make(counter: UInt64, size: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: size)
        if size < tagSize {
            for i in 0..<size { bytes[i] = UInt8(truncatingIfNeeded: 0xA0 &+ size &+ i) }
            return bytes
        }
        for i in 0..<tagSize { bytes[i] = UInt8(truncatingIfNeeded: counter >> (56 - 8 * UInt64(i))) }
        var state = counter &* 0x9E37_79B9_7F4A_7C15 | 1
        for i in tagSize..<size {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            bytes[i] = UInt8(truncatingIfNeeded: state)
        }
        return bytes
    }

    /// The counter a tagged payload carries, or nil for a payload shorter than ``tagSize``.
    public static func counter(of bytes: [UInt8]) -> UInt64? {
        guard bytes.count >= tagSize else { return nil }
        var value: UInt64 = 0
        for i in 0..<tagSize { value = value << 8 | UInt64(bytes[i]) }
        return value
    }
}
