/// The accept-or-reject scan behind ``PacketView``: the rules of `Specs/PROTOCOL.md` sections 3.2
/// and 5 checked straight on the bytes, a frame's fixed fields at once, without making errors.
///
/// It only answers whether the packet is valid. When it is not, ``PacketView`` runs the careful
/// validation (``DataPacketView/init(header:carefullyValidating:reader:)``, which reads field by
/// field with `ByteReader` as `Packet.parse` does) to find the first failing check and throw
/// exactly the reference's ``WireError``. Malformed packets are rare, so they pay twice; valid
/// ones pay one pass of loads and compares. The equivalence tests and the wire fuzzer check
/// that the two accept the same packets.
enum FastValidation {
    /// The header, if every header check passes (version, type, flags, destination, packet
    /// number: `Packet.parseHeader`'s checks); nil if one fails or the packet is too short.
    @inline(__always)
    static func header(_ packet: UnsafeRawBufferPointer) -> Packet.Header? {
        guard packet.count >= EncodedSize.header, let base = packet.baseAddress else { return nil }
        let version = base.bigEndianUInt8(at: 0)
        let typeByte = base.bigEndianUInt8(at: 1)
        let flagsByte = base.bigEndianUInt8(at: 2)
        let destination = base.bigEndianUInt64(at: 3)
        let packetNumber = base.bigEndianUInt64(at: 11)
        guard version == Packet.version, let type = PacketType(rawValue: typeByte),
            flagsByte == 0x00 || flagsByte == 0x01 || flagsByte == 0x03,
            destination != 0 || type == .connect,
            packetNumber < Packet.packetNumberLimit
        else { return nil }
        return Packet.Header(
            type: type, flags: PacketFlags(rawValue: flagsByte), destination: ConnectionID(destination),
            packetNumber: packetNumber)
    }

    /// Scans the frames of a DATA packet whose header was checked: nil if any frame breaks a rule
    /// or is cut short, or if there is none; otherwise the number of frames and whether one is
    /// ack-eliciting.
    static func frames(_ packet: UnsafeRawBufferPointer) -> (count: Int, ackEliciting: Bool)? {
        let end = packet.count
        guard end > EncodedSize.header, let base = packet.baseAddress else { return nil }
        let limit = Packet.packetNumberLimit
        var at = EncodedSize.header
        var count = 0
        var ackEliciting = false
        while at < end {
            let field = at &+ 1  // the frame's first field
            let remaining = end &- field  // bytes after the type byte
            switch base.bigEndianUInt8(at: at) {
            case 0x01:  // PING
                ackEliciting = true
                at = field
            case 0x02:  // ACK
                guard remaining >= 13 else { return nil }
                let cumulative = base.bigEndianUInt64(at: field)
                let rangeCount = Int(base.bigEndianUInt8(at: field &+ 12))
                guard cumulative < limit, rangeCount <= AckFrame.maximumRanges else { return nil }
                let size = EncodedSize.ack(rangeCount: rangeCount) &- 1
                guard remaining >= size else { return nil }
                if rangeCount > 0 {
                    let largest = base.bigEndianUInt64(at: field &+ 13)
                    let firstLength = UInt64(base.bigEndianUInt32(at: field &+ 21))
                    guard largest < limit, firstLength <= largest else { return nil }
                    var previousLower = largest &- firstLength
                    var entry = field &+ 25
                    for _ in 1..<rangeCount {
                        let gap = UInt64(base.bigEndianUInt32(at: entry))
                        let length = UInt64(base.bigEndianUInt32(at: entry &+ 4))
                        guard previousLower >= gap &+ 2 else { return nil }
                        let upper = previousLower &- gap &- 2
                        guard length <= upper else { return nil }
                        previousLower = upper &- length
                        entry &+= 8
                    }
                    guard previousLower > cumulative else { return nil }
                }
                at = field &+ size
            case 0x03, 0x04:  // MAX_DATA, ACK_FLOOR
                guard remaining >= 8, base.bigEndianUInt64(at: field) < limit else { return nil }
                at = field &+ 8
            case 0x05:  // MESSAGE
                guard remaining >= 16 else { return nil }
                let flags = base.bigEndianUInt8(at: field &+ 1)
                let total = UInt64(base.bigEndianUInt32(at: field &+ 6))
                let offset = UInt64(base.bigEndianUInt32(at: field &+ 10))
                let length = Int(base.bigEndianUInt16(at: field &+ 14))
                guard flags == 0x03 || flags == 0x01 || flags == 0x00, length <= remaining &- 16 else { return nil }
                if length == 0 {
                    guard total == 0 && offset == 0 else { return nil }
                } else {
                    guard offset &+ UInt64(length) <= total else { return nil }
                }
                ackEliciting = true
                at = field &+ 16 &+ length
            case 0x06:  // CLOSE
                guard remaining >= 3 else { return nil }
                let length = Int(base.bigEndianUInt8(at: field &+ 2))
                guard length <= CloseFrame.maximumReasonLength, length <= remaining &- 3,
                    UTF8Validation.isValid(UnsafeRawBufferPointer(start: base + (field &+ 3), count: length))
                else { return nil }
                ackEliciting = true
                at = field &+ 3 &+ length
            case 0x07, 0x08:  // PATH_CHALLENGE, PATH_RESPONSE
                guard remaining >= 8 else { return nil }
                at = field &+ 8
            default:
                return nil
            }
            count &+= 1
        }
        return (count, ackEliciting)
    }
}
