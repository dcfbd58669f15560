import RUDPCore
import RUDPSecurity

/// One side of the engine fuzz harness: an ``Endpoint`` plus everything the harness remembers
/// about it to check the other side's deliveries and its own events.
final class EngineFuzzPeer {
    /// What the harness knows about one message this side sent.
    struct SentMessage {
        var size: Int
        var channel: UInt8
        var mode: DeliveryMode
        /// This side's connection ID for the connection it was sent on.
        var connection: ConnectionID
    }

    /// Identifies an untagged (short) message: only its size, channel and mode are known.
    struct ShortMessageKey: Hashable {
        var size: Int
        var channel: UInt8
        var mode: DeliveryMode
    }

    /// Per-connection bookkeeping.
    struct ConnectionRecord {
        /// Reliable messages sent and neither acknowledged nor failed yet.
        var pendingReliable: Set<MessageID> = []
        /// Unreliable messages sent (they never get an acknowledged or failed event).
        var unreliable: Set<MessageID> = []
        /// Counters of the tagged reliable messages sent, by message ID.
        var counters: [MessageID: UInt64] = [:]
        /// Counters of the tagged reliable messages the peer acknowledged.
        var acknowledgedCounters: [UInt64] = []
        /// Tagged messages delivered on this connection (by the peer's counter).
        var deliveredCounters: Set<UInt64> = []
        /// Highest counter delivered per channel in reliable-ordered mode.
        var lastOrderedCounter: [UInt8: UInt64] = [:]
        var connectedSeen = false
        var closeRequested = false
        var abortRequested = false
        /// A send was refused for a full buffer since the last `.writable`.
        var refusedForFullBuffer = false
        /// Reliable bytes delivered and held back from the flow-control window.
        var heldReliableBytes = 0
    }

    let name: String
    let address: Int
    let configuration: EndpointConfiguration
    let endpoint: Endpoint
    /// Datagrams on their way to this side, oldest first, with whether the peer really sent them.
    var inbound: [(bytes: [UInt8], genuine: Bool)] = []
    /// Recently delivered genuine datagrams, for replays.
    var history: [[UInt8]] = []
    /// Set once a datagram the peer never sent was accepted by the codec: from then on message
    /// provenance, duplicate and flow-control checks do not apply to this side's deliveries.
    var tainted = false
    /// Messages this side sent, by counter.
    var sent: [UInt64: SentMessage] = [:]
    var shortMessagesSent: Set<ShortMessageKey> = []
    var nextCounter: UInt64 = 1
    var records: [ConnectionID: ConnectionRecord] = [:]
    /// Connections that reported `.closed`: nothing may follow.
    var closedConnections: Set<ConnectionID> = []
    /// Delivered messages whose flow-control credit is not released yet (when configured so).
    var held: [(ConnectionID, ReceivedMessage)] = []

    /// Bytes received from each source address (server side: amplification bound).
    var bytesReceived: [Int: Int] = [:]
    /// Bytes sent to each destination address (server side: amplification bound).
    var bytesSent: [Int: Int] = [:]
    /// Source addresses the other side really sent from (server side).
    var verifiedAddresses: Set<Int> = []
    /// Most datagrams the harness takes from the endpoint in one batch.
    static let batchSegments = 4
    /// Where the endpoint writes its batches.
    var outputBuffer: [UInt8] = []
    /// Datagrams of the last batch not yet handled, last one first.
    var pending: [(datagram: [UInt8], destination: Int)] = []

    /// A peer; with `security` (mode authenticated or encrypted) its endpoint runs the secure
    /// handshake with the fuzz test key and deterministic randoms drawn from `seed`.
    init(
        name: String, address: Int, configuration: EndpointConfiguration, seed: UInt64, security: SecurityMode? = nil,
        wrapHandshake: (any HandshakeSecurity) -> any HandshakeSecurity = { $0 }
    ) {
        self.name = name
        self.address = address
        self.configuration = configuration
        var endpointSecurity: EndpointSecurity?
        if let security {
            do {
                let key = try PreSharedKey(hexEncoded: SecurityFuzzKeys.pskHex, source: "the fuzz test key")
                let handshake = try PSKHandshakeSecurity(
                    configuration: SecurityConfiguration(mode: security, key: key),
                    randomness: .seeded(seed))
                endpointSecurity = EndpointSecurity(handshake: wrapHandshake(handshake))
            } catch {
                preconditionFailure("EngineFuzzPeer: cannot set up \(security) security with the test key: \(error)")
            }
        }
        self.endpoint = Endpoint(configuration: configuration, randomness: SeededGenerator(seed: seed), security: endpointSecurity)
        self.outputBuffer = [UInt8](repeating: 0, count: Self.batchSegments * endpoint.maximumDatagramSize)
    }

    /// The connection at `index` among the live ones; one past the end names no connection.
    func connectionID(at index: Int) -> ConnectionID {
        let ids = endpoint.connectionIDs
        if ids.isEmpty || index % (ids.count + 1) == ids.count { return ConnectionID(0xDEAD_BEEF) }
        return ids[index % (ids.count + 1)]
    }
}
