import Foundation

/// The parts of `Specs/vectors/security/security.json` the security fuzz target's seeds are made
/// from (format: `Specs/vectors/README.md`, section "Security vectors").
///
/// ```swift
/// let vectors = try SecurityFuzzVectors.load(vectorsDirectory: "Specs/vectors")
/// let seeds = SecurityFuzzer.seedPrograms(vectors: vectors)
/// ```
public struct SecurityFuzzVectors: Sendable, Decodable {
    /// A valid protected packet (made with the vectors' keys, which are foreign to the fuzz harness).
    public struct ProtectedPacket: Sendable, Decodable {
        /// `authenticated` or `encrypted`.
        public var mode: String
        /// `client_to_server` or `server_to_client`.
        public var direction: String
        /// The 19-byte header, hex.
        public var header: String
        /// The clear payload, hex.
        public var payload: String
        /// The whole protected datagram, hex.
        public var datagram: String
    }

    /// A datagram a fresh receiver must refuse.
    public struct InvalidPacket: Sendable, Decodable {
        /// `authenticated` or `encrypted`.
        public var mode: String
        /// `client_to_server` or `server_to_client`.
        public var direction: String
        /// The datagram, hex.
        public var datagram: String
    }

    /// A handshake message and its tag.
    public struct HandshakeTag: Sendable, Decodable {
        /// `connect` or `handshake`.
        public var key: String
        /// The message, hex.
        public var message: String
    }

    /// A retry cookie.
    public struct Cookie: Sendable, Decodable {
        /// The client's address bytes, hex.
        public var address: String
        /// The 24-byte cookie, hex.
        public var cookie: String
    }

    /// Valid packets.
    public var packets: [ProtectedPacket]
    /// Invalid packets.
    public var invalidPackets: [InvalidPacket]
    /// Handshake tags.
    public var handshakeTags: [HandshakeTag]
    /// Cookies.
    public var cookies: [Cookie]

    enum CodingKeys: String, CodingKey {
        case packets
        case invalidPackets = "invalid_packets"
        case handshakeTags = "handshake_tags"
        case cookies
    }

    /// Reads `security/security.json` under `vectorsDirectory` (the `Specs/vectors` directory).
    public static func load(vectorsDirectory: String) throws -> SecurityFuzzVectors {
        let url = URL(fileURLWithPath: vectorsDirectory).appendingPathComponent("security/security.json")
        return try JSONDecoder().decode(SecurityFuzzVectors.self, from: Data(contentsOf: url))
    }
}
