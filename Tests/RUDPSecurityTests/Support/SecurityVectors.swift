import Foundation

/// The contents of `Specs/vectors/security/security.json` (format: `Specs/vectors/README.md`,
/// "Security vectors").
struct SecurityVectors: Decodable, Sendable {
    struct KeyScheduleVector: Decodable, Sendable {
        var client_random: String
        var server_random: String
        var client_connection_id: String
        var server_connection_id: String
        var master_key: String
        var client_to_server_key: String
        var server_to_client_key: String
        var handshake_key: String
        var connect_key: String
    }

    struct PacketVector: Decodable, Sendable, CustomStringConvertible {
        var name: String
        var description: String
        var mode: String
        var direction: String
        var packet_number: String
        var header: String
        var payload: String
        var datagram: String
    }

    struct InvalidPacketVector: Decodable, Sendable, CustomStringConvertible {
        var name: String
        var description: String
        var mode: String
        var direction: String
        var datagram: String
        var error: String
    }

    struct HandshakeTagVector: Decodable, Sendable {
        var name: String
        var description: String
        var key: String
        var message: String
        var tag: String
    }

    struct CookieCheck: Decodable, Sendable {
        var address: String
        var client_connection_id: String
        var at: String
        var result: String
    }

    struct CookieVector: Decodable, Sendable {
        var name: String
        var description: String
        var secret: String
        var address: String
        var client_connection_id: String
        var timestamp: String
        var lifetime: String
        var cookie: String
        var checks: [CookieCheck]
    }

    /// One datagram of a secure handshake exchange (PROTOCOL.md section 20).
    struct ExchangeDatagram: Decodable, Sendable {
        var name: String
        var description: String
        var direction: String
        var datagram: String
    }

    /// A whole secure handshake and first DATA packets in one mode (PROTOCOL.md section 20.8).
    struct HandshakeExchangeVector: Decodable, Sendable {
        var name: String
        var mode: String
        var flags: UInt8
        var client_address: String
        var cookie_secret: String
        var cookie_issued_at: String
        var datagrams: [ExchangeDatagram]
    }

    var description: String
    var psk: String
    var key_schedule: KeyScheduleVector
    var packets: [PacketVector]
    var invalid_packets: [InvalidPacketVector]
    var handshake_tags: [HandshakeTagVector]
    var cookies: [CookieVector]
    var handshake_exchange: [HandshakeExchangeVector]

    /// `Specs/vectors/security/security.json`, found from this source file's path.
    static let path: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Support
        .deletingLastPathComponent()  // RUDPSecurityTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // repository root
        .appendingPathComponent("Specs/vectors/security/security.json").path

    /// The vectors, or the reason they could not be read.
    static let loaded: Result<SecurityVectors, VectorLoadError> = {
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            return .success(try JSONDecoder().decode(SecurityVectors.self, from: data))
        } catch {
            return .failure(VectorLoadError(message: "cannot read \(path): \(error)"))
        }
    }()

    /// The vectors; throws if the file could not be read, so that the test fails instead of
    /// testing nothing.
    static func load() throws -> SecurityVectors {
        try loaded.get()
    }
}

/// Why the vector file could not be read.
struct VectorLoadError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// A hex field of a vector that is not hex.
struct BadHex: Error, CustomStringConvertible {
    var field: String
    var description: String { "\(field) is not lowercase hex" }
}

/// The bytes of a hex field.
func bytes(_ text: String, _ field: String) throws -> [UInt8] {
    guard let b = Hex.decode(text) else { throw BadHex(field: field) }
    return b
}
