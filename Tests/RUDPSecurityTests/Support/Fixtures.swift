import RUDPWire

@testable import RUDPSecurity

/// Keys and packets shared by the tests.
enum Fixtures {
    static let clientID = ConnectionID(0x0123_4567_89ab_cdef)
    static let serverID = ConnectionID(0xfedc_ba98_7654_3210)

    /// The test PSK 00 01 ... 1f.
    static func psk() throws -> PreSharedKey {
        try PreSharedKey(hexEncoded: Hex.encode(Array(0..<32)), source: "test key")
    }

    /// Session keys from `psk` and randoms drawn from `seed`.
    static func keys(psk: PreSharedKey? = nil, seed: UInt64 = 1) throws -> SessionKeys {
        var rng = TestRandom(seed: seed)
        return try KeySchedule.sessionKeys(
            psk: psk ?? Self.psk(),
            clientRandom: HandshakeRandom(using: &rng), serverRandom: HandshakeRandom(using: &rng),
            clientConnectionID: clientID, serverConnectionID: serverID)
    }

    /// A sealer and an opener for the client→server direction.
    static func pair(_ mode: SecurityMode, keys: SessionKeys) -> (sealer: PacketProtector, opener: PacketProtector) {
        (
            PacketProtector(mode: mode, key: keys.clientToServer, direction: .clientToServer),
            PacketProtector(mode: mode, key: keys.clientToServer, direction: .clientToServer)
        )
    }

    /// The 19-byte DATA header for packet number `pn` towards the server.
    static func header(_ pn: UInt64) -> [UInt8] {
        var out: [UInt8] = []
        Packet.writeHeader(type: .data, destination: serverID, packetNumber: pn, into: &out)
        return out
    }

    /// The header for packet number `pn` and a payload of `payloadSize` patterned bytes (the
    /// protection layer does not parse payloads).
    static func packet(_ pn: UInt64, payloadSize: Int = 64) -> (header: [UInt8], payload: [UInt8]) {
        let payload = (0..<payloadSize).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        return (header(pn), payload)
    }
}
