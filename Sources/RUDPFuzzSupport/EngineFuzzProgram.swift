import RUDPCore

/// Builds and describes the inputs of the engine fuzz target: a header of ``headerSize`` bytes
/// (configuration flags, then a 16-bit seed for both endpoints' connection IDs) followed by
/// ``EngineFuzzOperation``s with their argument bytes.
///
/// The flags choose among small configurations, so that every limit is reachable in a short
/// run: bit 0 makes the applications hold delivered messages until a
/// ``EngineFuzzOperation/releaseCredit`` operation (else each is released as its event is
/// taken; the bit chose the engine's credit contract until issue 14 left one), bit 1 starts
/// sequence numbers just below the 32-bit wrap, bit 2 a message window of 4 (else 64), bit 3
/// gives the server 2 channels (the client has 4), bit 4 the client the minimum datagram size,
/// bit 5 disables keep-alives, bit 6 a send buffer of 4 messages (else 32), bit 7 a zero ack delay.
///
/// Bits of the seed choose the server's admission (``configurations(flags:seed:)``): bits 1–2 its
/// plain retry policy (never, always, beyond one half-open connection, always), bit 3 tight
/// caps (one half-open connection, two per address and per prefix: the client's later
/// connections are evicted or refused), bit 4 a retry cookie lifetime of 1 s (else 10 s), so
/// that RETRY, cookie checks, expiry, eviction and refusals are all reachable.
///
/// ```swift
/// var program = EngineFuzzProgram(flags: 0, seed: 1)
/// program.append(.clientSend, 0, 10, 0, 0, 0, 0)   // connection 0, 10 bytes, channel 0, reliable-ordered
/// program.append(.drainNetwork)
/// EngineFuzzer.check(program.bytes)
/// ```
public struct EngineFuzzProgram: Sendable {
    /// Bytes before the first operation.
    public static let headerSize = 3

    /// The encoded program.
    public private(set) var bytes: [UInt8]

    /// Starts a program with the given configuration flags and seed.
    public init(flags: UInt8 = 0, seed: UInt16 = 0) {
        bytes = [flags, UInt8(seed >> 8), UInt8(seed & 0xff)]
    }

    /// Appends an operation and its argument bytes.
    public mutating func append(_ operation: EngineFuzzOperation, _ arguments: UInt8...) {
        append(operation, arguments: arguments)
    }

    /// Appends an operation and its argument bytes.
    public mutating func append(_ operation: EngineFuzzOperation, arguments: [UInt8]) {
        bytes.append(operation.rawValue)
        bytes.append(contentsOf: arguments)
    }

    /// Appends raw bytes (for example an injected datagram after its ``EngineFuzzOperation/inject`` arguments).
    public mutating func appendRaw(_ raw: [UInt8]) {
        bytes.append(contentsOf: raw)
    }

    /// The client's and the server's endpoint configurations for a flags byte and a seed.
    public static func configurations(flags: UInt8, seed: UInt16 = 0) -> (client: EndpointConfiguration, server: EndpointConfiguration) {
        var connection = ConnectionConfiguration()
        connection.maxMessageSize = 3000
        connection.receiveWindow = 6000
        connection.sendBufferBytes = 6000
        connection.unreliableReassemblyBytes = 3000
        connection.unreliableDeliveryBytes = 6000
        connection.initialRTO = .milliseconds(50)
        connection.minimumRTO = .milliseconds(5)
        connection.maximumRTO = .milliseconds(800)
        connection.connectTimeout = .seconds(1)
        connection.idleTimeout = .seconds(3)
        connection.peerTimeout = .seconds(2)
        connection.keepAliveInterval = flags & 0x20 != 0 ? nil : .milliseconds(200)
        connection.initialMessageSequence = flags & 0x02 != 0 ? UInt32.max - 3 : 0
        connection.messageWindow = flags & 0x04 != 0 ? 4 : 64
        connection.sendBufferMessages = flags & 0x40 != 0 ? 4 : 32
        connection.maxAckDelay = flags & 0x80 != 0 ? .zero : .milliseconds(5)
        connection.channelCount = 4

        var clientConnection = connection
        clientConnection.maxDatagramSize = flags & 0x10 != 0 ? Int(TransportParameters.minimumDatagramSize) : 1200
        var serverConnection = connection
        serverConnection.channelCount = flags & 0x08 != 0 ? 2 : 4

        var server = EndpointConfiguration(connection: serverConnection, acceptsConnections: true)
        server.maxConnections = 3
        server.retryPolicy = [RetryPolicy.never, .always, .whenHalfOpenExceeds(1), .always][Int(seed >> 1 & 3)]
        if seed >> 3 & 1 == 1 {
            server.maxHalfOpenConnections = 1
            server.maxConnectionsPerAddress = 2
            server.maxConnectionsPerPrefix = 2
        }
        server.cookieLifetime = seed >> 4 & 1 == 1 ? .seconds(1) : .seconds(10)
        let client = EndpointConfiguration(connection: clientConnection, acceptsConnections: false)
        return (client, server)
    }

    /// How much time an ``EngineFuzzOperation/advanceTime`` argument lets pass.
    public static func duration(_ argument: UInt8) -> Duration {
        switch argument % 8 {
        case 0: return .milliseconds(1)
        case 1: return .milliseconds(5)
        case 2: return .milliseconds(20)
        case 3: return .milliseconds(60)
        case 4: return .milliseconds(250)
        case 5: return .milliseconds(1000)
        case 6: return .milliseconds(5000)
        default: return .microseconds(Int(argument >> 3) * 1500)
        }
    }
}
