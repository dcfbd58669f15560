/// Limits an endpoint announces in its CONNECT or ACCEPT packet.
///
/// Wire layout (27 bytes, big-endian), following the packet header:
/// source connection ID (8), max datagram size (2), max message size (4),
/// initial max data (8), channel count (1), message window (2), max ack delay in µs (2).
public struct TransportParameters: Hashable, Sendable {
    /// Encoded size in bytes.
    public static let encodedSize = 27
    /// Smallest datagram size an endpoint may announce.
    public static let minimumDatagramSize: UInt16 = 256

    /// The connection ID the sender of this packet wants to receive packets on.
    public var sourceConnectionID: ConnectionID
    /// Largest UDP payload the sender is willing to receive.
    public var maxDatagramSize: UInt16
    /// Largest message (after reassembly) the sender accepts.
    public var maxMessageSize: UInt32
    /// Initial flow-control credit, in bytes of reliable message payload.
    public var initialMaxData: UInt64
    /// Number of independent channels the sender accepts (channels 0 ..< channelCount).
    public var channelCount: UInt8
    /// How far ahead of the oldest unacknowledged reliable message on a channel the peer may send.
    public var messageWindow: UInt16
    /// Longest time the sender will delay an acknowledgement, in microseconds.
    public var maxAckDelayMicroseconds: UInt16

    /// Parameters announcing `sourceConnectionID`, by default: 1,200-byte
    /// datagrams, 1 MiB messages, 4 MiB of initial credit, 8 channels, a message window of
    /// 8,192 and 5 ms of acknowledgement delay.
    public init(
        sourceConnectionID: ConnectionID,
        maxDatagramSize: UInt16 = 1200,
        maxMessageSize: UInt32 = 1 << 20,
        initialMaxData: UInt64 = 4 << 20,
        channelCount: UInt8 = 8,
        messageWindow: UInt16 = 8192,
        maxAckDelayMicroseconds: UInt16 = 5000
    ) {
        self.sourceConnectionID = sourceConnectionID
        self.maxDatagramSize = maxDatagramSize
        self.maxMessageSize = maxMessageSize
        self.initialMaxData = initialMaxData
        self.channelCount = channelCount
        self.messageWindow = messageWindow
        self.maxAckDelayMicroseconds = maxAckDelayMicroseconds
    }

    static func parse(_ reader: inout ByteReader) throws(WireError) -> TransportParameters {
        let cid = ConnectionID(try reader.readUInt64())
        if cid == .none { throw .zeroConnectionID }
        let params = TransportParameters(
            sourceConnectionID: cid,
            maxDatagramSize: try reader.readUInt16(),
            maxMessageSize: try reader.readUInt32(),
            initialMaxData: try reader.readUInt62(field: "initialMaxData"),
            channelCount: try reader.readUInt8(),
            messageWindow: try reader.readUInt16(),
            maxAckDelayMicroseconds: try reader.readUInt16()
        )
        try params.validate()
        return params
    }

    /// Throws if a field is outside the range the specification allows.
    public func validate() throws(WireError) {
        if sourceConnectionID == .none { throw .zeroConnectionID }
        if maxDatagramSize < Self.minimumDatagramSize || Int(maxDatagramSize) > Packet.maximumDatagramSize {
            throw .invalidTransportParameter("maxDatagramSize")
        }
        if channelCount == 0 { throw .invalidTransportParameter("channelCount") }
        if messageWindow == 0 { throw .invalidTransportParameter("messageWindow") }
        if initialMaxData >= Packet.packetNumberLimit { throw .invalidTransportParameter("initialMaxData") }
    }

    func serialize(into out: inout [UInt8]) {
        out.appendBigEndian(sourceConnectionID.rawValue)
        out.appendBigEndian(maxDatagramSize)
        out.appendBigEndian(maxMessageSize)
        out.appendBigEndian(initialMaxData)
        out.appendBigEndian(channelCount)
        out.appendBigEndian(messageWindow)
        out.appendBigEndian(maxAckDelayMicroseconds)
    }
}
