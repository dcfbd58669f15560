/// The packet types of protocol version 2.
public enum PacketType: UInt8, Hashable, Sendable, CaseIterable {
    /// Client to server: opens a connection.
    case connect = 0x01
    /// Server to client: accepts a connection.
    case accept = 0x02
    /// Either direction, once connected: a sequence of frames.
    case data = 0x03
    /// Server to client, in both modes: a stateless retry cookie the client must echo in its
    /// next CONNECT (`Specs/PROTOCOL.md` sections 4.5 and 20.2).
    case retry = 0x04
}

/// A parsed RUDP datagram.
///
/// Every packet starts with the 19-byte header: version (1), type (1), flags (1, see
/// ``PacketFlags``), destination connection ID (8), packet number (8, below 2^62). All integers
/// are big-endian. See `Specs/PROTOCOL.md` for the normative description.
///
/// With the ``PacketFlags/protected`` flag, CONNECT and ACCEPT carry the security handshake's
/// extra fields (``Body/secureConnect(_:clientRandom:cookie:)``, ``Body/secureAccept(_:serverRandom:)``);
/// the 16-byte tag that follows such a packet is not part of it (the security layer appends and
/// strips it, as ``Datagram`` does the CRC-32C trailer). RETRY exists in both modes, with the
/// same body; its flags say which.
///
/// ```swift
/// let packet = Packet(destination: ConnectionID(7), packetNumber: 0, body: .data([.ping]))
/// let bytes = packet.serialized()
/// let again = try Packet.parse(bytes)   // == packet
/// ```
public struct Packet: Hashable, Sendable {
    /// The protocol version this codec speaks.
    public static let version: UInt8 = 2
    /// Size of the common header in bytes.
    public static let headerSize = 19
    /// Largest UDP payload the codec accepts (the IPv4 UDP maximum).
    public static let maximumDatagramSize = 65_507
    /// Packet numbers (and other 62-bit fields) are strictly below this.
    public static let packetNumberLimit: UInt64 = 1 << 62
    /// Size of the 16-byte tag that follows every protected packet.
    public static let protectionTagSize = 16
    /// Size of a protected CONNECT datagram: the packet is zero-padded so that, with its tag, it
    /// is exactly this long (the server may answer it with up to as many bytes before the
    /// client's address is verified).
    public static let protectedConnectDatagramSize = 1200
    /// Size of the random values the secure handshake exchanges.
    public static let handshakeRandomSize = 32
    /// Largest retry cookie a packet can carry (its length is one byte).
    public static let maximumCookieSize = 255

    /// What follows the header.
    public enum Body: Hashable, Sendable {
        /// A plain CONNECT packet: the client's parameters and the retry cookie it echoes (empty
        /// unless a RETRY asked for one; at most ``Packet/maximumCookieSize`` bytes).
        case connect(TransportParameters, cookie: [UInt8])
        /// An ACCEPT packet with the server's parameters.
        case accept(TransportParameters)
        /// A DATA packet with one or more frames.
        case data([Frame])
        /// A protected CONNECT (secure mode): the client's parameters, its 32-byte handshake
        /// random and the retry cookie it echoes (empty on the first attempt). Serialized with
        /// zero padding to ``protectedConnectDatagramSize`` minus the tag.
        case secureConnect(TransportParameters, clientRandom: [UInt8], cookie: [UInt8])
        /// A protected ACCEPT (secure mode): the server's parameters and its 32-byte handshake random.
        case secureAccept(TransportParameters, serverRandom: [UInt8])
        /// A RETRY (plain or protected, as the flags say): the cookie the client must send back in
        /// its next CONNECT (at most ``Packet/maximumCookieSize`` bytes).
        case retry(cookie: [UInt8])
    }

    /// The header's flags (``PacketFlags``): plain, authenticated or encrypted.
    public var flags: PacketFlags
    /// The connection ID of the receiver (``ConnectionID/none`` only on CONNECT).
    public var destination: ConnectionID
    /// The packet number: never reused within a connection and direction.
    public var packetNumber: UInt64
    /// The payload.
    public var body: Body

    /// A packet; `flags` must contain ``PacketFlags/protected`` exactly when `body` is one of the
    /// secure handshake cases, or a RETRY or DATA packet of a protected connection.
    public init(destination: ConnectionID, packetNumber: UInt64, body: Body, flags: PacketFlags = .plain) {
        self.flags = flags
        self.destination = destination
        self.packetNumber = packetNumber
        self.body = body
    }

    /// The packet's type.
    public var type: PacketType {
        switch body {
        case .connect, .secureConnect: return .connect
        case .accept, .secureAccept: return .accept
        case .data: return .data
        case .retry: return .retry
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
        let secure = header.flags.contains(.protected)
        switch header.type {
        case .connect where secure:
            let params = try TransportParameters.parse(&reader)
            let random = try reader.readBytes(handshakeRandomSize)
            let cookie = try reader.readBytes(Int(try reader.readUInt8()))
            let padded = protectedConnectDatagramSize - protectionTagSize
            if bytes.count < padded { throw .truncated(offset: bytes.count, needed: padded - bytes.count) }
            if bytes.count > padded { throw .trailingBytes(count: bytes.count - padded) }
            while !reader.isAtEnd {
                if try reader.readUInt8() != 0 { throw .invalidPadding }
            }
            body = .secureConnect(params, clientRandom: random, cookie: cookie)
        case .connect:
            let params = try TransportParameters.parse(&reader)
            body = .connect(params, cookie: try reader.readBytes(Int(try reader.readUInt8())))
        case .accept where secure:
            let params = try TransportParameters.parse(&reader)
            body = .secureAccept(params, serverRandom: try reader.readBytes(handshakeRandomSize))
        case .accept:
            body = .accept(try TransportParameters.parse(&reader))
        case .retry:
            body = .retry(cookie: try reader.readBytes(Int(try reader.readUInt8())))
        case .data:
            var frames: [Frame] = []
            while !reader.isAtEnd {
                frames.append(try Frame.parse(&reader))
            }
            if frames.isEmpty { throw .emptyPacket }
            body = .data(frames)
        }
        if !reader.isAtEnd { throw .trailingBytes(count: reader.remaining) }
        return Packet(destination: header.destination, packetNumber: header.packetNumber, body: body, flags: header.flags)
    }

    /// The fields of the common header, readable without parsing the body (used for routing).
    public struct Header: Hashable, Sendable {
        /// The packet type (CONNECT, ACCEPT, DATA, RETRY, ...).
        public var type: PacketType
        /// The flags: whether the datagram is protected, and how.
        public var flags: PacketFlags
        /// The connection ID of the receiver (``ConnectionID/none`` in a CONNECT).
        public var destination: ConnectionID
        /// The packet number: 62 bits, never reused on a connection.
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
        let flagsByte = try reader.readUInt8()
        let flags = PacketFlags(rawValue: flagsByte)
        if !flags.isValid { throw .invalidFlags(flagsByte) }
        let destination = ConnectionID(try reader.readUInt64())
        if destination == .none && type != .connect { throw .zeroConnectionID }
        let pn = try reader.readUInt62(field: "packetNumber")
        return Header(type: type, flags: flags, destination: destination, packetNumber: pn)
    }

    /// Appends the 19-byte header of a packet to `out`.
    public static func writeHeader(
        type: PacketType, flags: PacketFlags = .plain, destination: ConnectionID, packetNumber: UInt64, into out: inout [UInt8]
    ) {
        out.append(Self.version)
        out.append(type.rawValue)
        out.append(flags.rawValue)
        out.appendBigEndian(destination.rawValue)
        out.appendBigEndian(packetNumber)
    }

    /// Appends the encoded packet to `out`.
    public func serialize(into out: inout [UInt8]) {
        let start = out.count
        Self.writeHeader(type: type, flags: flags, destination: destination, packetNumber: packetNumber, into: &out)
        switch body {
        case let .connect(p, cookie):
            p.serialize(into: &out)
            out.append(UInt8(truncatingIfNeeded: cookie.count))
            out.append(contentsOf: cookie)
        case .accept(let p):
            p.serialize(into: &out)
        case .data(let frames):
            for f in frames { f.serialize(into: &out) }
        case let .secureConnect(p, random, cookie):
            p.serialize(into: &out)
            out.append(contentsOf: random)
            out.append(UInt8(truncatingIfNeeded: cookie.count))
            out.append(contentsOf: cookie)
            let padded = Self.protectedConnectDatagramSize - Self.protectionTagSize
            let written = out.count - start
            if written < padded { out.append(contentsOf: repeatElement(0, count: padded - written)) }
        case let .secureAccept(p, random):
            p.serialize(into: &out)
            out.append(contentsOf: random)
        case .retry(let cookie):
            out.append(UInt8(truncatingIfNeeded: cookie.count))
            out.append(contentsOf: cookie)
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
        case .connect(_, let cookie): return Self.headerSize + TransportParameters.encodedSize + 1 + cookie.count
        case .accept: return Self.headerSize + TransportParameters.encodedSize
        case .data(let frames): return frames.reduce(Self.headerSize) { $0 + $1.encodedSize }
        case let .secureConnect(_, random, cookie):
            let fields = Self.headerSize + TransportParameters.encodedSize + random.count + 1 + cookie.count
            return max(fields, Self.protectedConnectDatagramSize - Self.protectionTagSize)
        case let .secureAccept(_, random): return Self.headerSize + TransportParameters.encodedSize + random.count
        case .retry(let cookie): return Self.headerSize + 1 + cookie.count
        }
    }
}
