import NIOCore

/// One worker of an ``RUDPServer``: an endpoint (its driver) on its own event loop and socket.
struct ServerWorker: Sendable {
    /// The index the worker's connection IDs carry in their top 4 bits.
    let index: Int
    /// How many workers held this index before (0 for the first; a restart adds one).
    let generation: Int
    let driver: EndpointDriver
    let channel: any Channel
}
