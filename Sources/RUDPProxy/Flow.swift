import NIOCore
import RUDPCore

/// One client address and the upstream socket opened for it, as a NAT would. Confined to the
/// proxy's event loop.
final class Flow {
    /// The client's address (where replies go).
    let client: SocketAddress
    /// The connected upstream socket; nil while it opens.
    var channel: Channel?
    /// Datagrams due while the socket opens (bounded by the configuration).
    var backlog: [ByteBuffer] = []
    /// Last datagram received from either side.
    var lastActivity: Timestamp
    /// Set once the flow is closed or failed; late events are then ignored.
    var isClosed = false
    /// Whether a write awaits a flush.
    var needsFlush = false
    /// Bumped by every rebinding: events of an older upstream socket are ignored.
    var socketGeneration = 0

    init(client: SocketAddress, now: Timestamp) {
        self.client = client
        self.lastActivity = now
    }
}
