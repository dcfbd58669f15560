/// The direction a packet travels in, which selects the session key and the first four bytes of
/// the AEAD nonce (`Specs/SECURITY.md`, "Nonce").
///
/// ```swift
/// let outgoing: PacketDirection = isClient ? .clientToServer : .serverToClient
/// ```
public enum PacketDirection: UInt32, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// From the endpoint that sent CONNECT to the endpoint that answered with ACCEPT.
    case clientToServer = 0
    /// From the server to the client.
    case serverToClient = 1

    /// The direction of the packets an endpoint sends.
    public static func outgoing(isClient: Bool) -> PacketDirection {
        isClient ? .clientToServer : .serverToClient
    }

    /// The direction of the packets an endpoint receives.
    public static func incoming(isClient: Bool) -> PacketDirection {
        isClient ? .serverToClient : .clientToServer
    }

    /// The direction in words, for logs and test names.
    public var description: String {
        switch self {
        case .clientToServer: return "client→server"
        case .serverToClient: return "server→client"
        }
    }
}
