/// The packet types of protocol version 1.
public enum PacketType: UInt8, Hashable, Sendable, CaseIterable {
    /// Client to server: opens a connection.
    case connect = 0x01
    /// Server to client: accepts a connection.
    case accept = 0x02
    /// Either direction, once connected: a sequence of frames.
    case data = 0x03
}

/// A parsed RUDP datagram.
///
/// Every packet starts with the 19-byte header: version (1), type (1), flags (1, zero in
/// version 1), destination connection ID (8), packet number (8, below 2^62). All integers are
/// big-endian. See `Specs/PROTOCOL.md` for the normative description.
///
/// ```swift
/// let packet = Packet(destination: ConnectionID(7), packetNumber: 0, body: .data([.ping]))
/// let bytes = packet.serialized()
/// let again = try Packet.parse(bytes)   // == packet
/// ```
public struct Packet: Hashable, Sendable {
    /// The protocol version this codec speaks.
    public static let version: UInt8 = 1
    /// Size of the common header in bytes.
    public static let headerSize = 19
    /// Largest UDP payload the codec accepts (the IPv4 UDP maximum).
    public static let maximumDatagramSize = 65_507
    /// Packet numbers (and other 62-bit fields) are strictly below this.
    public static let packetNumberLimit: UInt64 = 1 << 62

    /// What follows the header.
    public enum Body: Hashable, Sendable {
        /// A CONNECT packet with the client's parameters.
        case connect(TransportParameters)
        /// An ACCEPT packet with the server's parameters.
        case accept(TransportParameters)
        /// A DATA packet with one or more frames.
        case data([Frame])
    }

    /// The connection ID of the receiver (``ConnectionID/none`` only on CONNECT).
    public var destination: ConnectionID
    /// The packet number: never reused within a connection and direction.
    public var packetNumber: UInt64
    /// The payload.
    public var body: Body

    public init(destination: ConnectionID, packetNumber: UInt64, body: Body) {
        self.destination = destination
        self.packetNumber = packetNumber
        self.body = body
    }

    /// The packet's type.
    public var type: PacketType {
        switch body {
        case .connect: return .connect
        case .accept: return .accept
        case .data: return .data
        }
    }

    /// Parses one datagram. Throws a ``WireError`` for any malformed input.
    public static func parse(_ bytes: [UInt8]) throws(WireError) -> Packet {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(WireError) -> Packet in try parse(raw) }
        }
        return try result.get()
    }

    /// Parses one datagram from raw memory. Never reads outside `bytes`.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(WireError) -> Packet {
        if bytes.count > maximumDatagramSize { throw .oversize(size: bytes.count) }
        var reader = ByteReader(bytes)
        let header = try parseHeader(&reader)
        let body: Body
        switch header.type {
        case .connect:
            body = .connect(try TransportParameters.parse(&reader))
        case .accept:
            body = .accept(try TransportParameters.parse(&reader))
        case .data:
            var frames: [Frame] = []
            while !reader.isAtEnd {
                frames.append(try Frame.parse(&reader))
            }
            if frames.isEmpty { throw .emptyPacket }
            body = .data(frames)
        }
        if !reader.isAtEnd { throw .trailingBytes(count: reader.remaining) }
        return Packet(destination: header.destination, packetNumber: header.packetNumber, body: body)
    }

    /// The fields of the common header, readable without parsing the body (used for routing).
    public struct Header: Hashable, Sendable {
        public var type: PacketType
        public var destination: ConnectionID
        public var packetNumber: UInt64
    }

    /// Parses only the common header: enough to route a datagram to its connection.
    public static func parseHeader(_ bytes: UnsafeRawBufferPointer) throws(WireError) -> Header {
        var reader = ByteReader(bytes)
        return try parseHeader(&reader)
    }

    static func parseHeader(_ reader: inout ByteReader) throws(WireError) -> Header {
        let version = try reader.readUInt8()
        if version != Self.version { throw .unsupportedVersion(version) }
        let typeByte = try reader.readUInt8()
        guard let type = PacketType(rawValue: typeByte) else { throw .unknownPacketType(typeByte) }
        let flags = try reader.readUInt8()
        if flags != 0 { throw .invalidFlags(flags) }
        let destination = ConnectionID(try reader.readUInt64())
        if destination == .none && type != .connect { throw .zeroConnectionID }
        let pn = try reader.readUInt62(field: "packetNumber")
        return Header(type: type, destination: destination, packetNumber: pn)
    }

    /// Appends the 19-byte header of a packet to `out`.
    public static func writeHeader(type: PacketType, destination: ConnectionID, packetNumber: UInt64, into out: inout [UInt8]) {
        out.append(Self.version)
        out.append(type.rawValue)
        out.append(0)
        out.appendBigEndian(destination.rawValue)
        out.appendBigEndian(packetNumber)
    }

    /// Appends the encoded packet to `out`.
    public func serialize(into out: inout [UInt8]) {
        Self.writeHeader(type: type, destination: destination, packetNumber: packetNumber, into: &out)
        switch body {
        case .connect(let p), .accept(let p):
            p.serialize(into: &out)
        case .data(let frames):
            for f in frames { f.serialize(into: &out) }
        }
    }

    /// The encoded packet.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(encodedSize)
        serialize(into: &out)
        return out
    }

    /// Encoded size in bytes.
    public var encodedSize: Int {
        switch body {
        case .connect, .accept: return Self.headerSize + TransportParameters.encodedSize
        case .data(let frames): return frames.reduce(Self.headerSize) { $0 + $1.encodedSize }
        }
    }
}
