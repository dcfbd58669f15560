import NIOCore
import RUDP
import Testing

/// `Specs/CHANGES.md` entry 27 (PROTOCOL.md 7.2 "Connection limits"): an IPv4-mapped IPv6
/// address (`::ffff:a.b.c.d`, the source a dual-stack socket reports for an IPv4 peer) counts as
/// the IPv4 address it maps, for the per-address and the per-prefix (/24) limits. Checked on the
/// engine with the transport's socket addresses, CONNECT by CONNECT.
@Suite struct MappedAddressLimitTests {
    /// The peer address the transport hands the engine for `ip` and `port`.
    static func peer(_ ip: String, _ port: Int) throws -> PeerAddress {
        try #require(PeerAddress(try SocketAddress(ipAddress: ip, port: port)))
    }

    static func server(perAddress: Int, perPrefix: Int) -> Endpoint {
        var configuration = EndpointConfiguration(acceptsConnections: true)
        configuration.retryPolicy = .never
        configuration.maxConnectionsPerAddress = perAddress
        configuration.maxConnectionsPerPrefix = perPrefix
        return Endpoint(configuration: configuration, randomness: SeededGenerator(seed: 27))
    }

    /// A plain CONNECT from the client whose connection ID is `clientID`.
    static func connect(clientID: UInt64) -> [UInt8] {
        var bytes = Packet(
            destination: .none, packetNumber: 0,
            body: .connect(TransportParameters(sourceConnectionID: ConnectionID(clientID)), cookie: [])
        ).serialized()
        Datagram.seal(&bytes)
        return bytes
    }

    /// Delivers a new client's CONNECT from `address`; returns whether the server created a connection.
    static func admits(_ server: Endpoint, from address: PeerAddress, clientID: UInt64) -> Bool {
        let before = server.connectionCount
        server.handle(datagram: connect(clientID: clientID), from: address, at: .zero)
        while server.pollTransmit(at: .zero) != nil {}
        return server.connectionCount == before + 1
    }

    @Test("per address: 192.0.2.7 and ::ffff:192.0.2.7 are one host, in either order")
    func perAddressLimit() throws {
        for mappedFirst in [false, true] {
            let server = Self.server(perAddress: 1, perPrefix: 100)
            let plain = try Self.peer("192.0.2.7", 4_000), mapped = try Self.peer("::ffff:192.0.2.7", 5_000)
            let (first, second) = mappedFirst ? (mapped, plain) : (plain, mapped)
            #expect(Self.admits(server, from: first, clientID: 1))
            #expect(!Self.admits(server, from: second, clientID: 2), "the same host at its limit (mapped first: \(mappedFirst))")
            #expect(server.statistics.refusedAddressLimit == 1)
            // Other hosts are not affected: another IPv4 host, mapped or not, and an IPv6 host.
            #expect(Self.admits(server, from: try Self.peer("::ffff:192.0.2.8", 5_000), clientID: 3))
            #expect(Self.admits(server, from: try Self.peer("192.0.2.9", 4_000), clientID: 4))
            #expect(Self.admits(server, from: try Self.peer("2001:db8::7", 4_000), clientID: 5))
            #expect(server.statistics.refusedAddressLimit == 1)
        }
    }

    @Test("per prefix: mapped addresses count in the IPv4 /24, not in the IPv6 /64 ::/64")
    func perPrefixLimit() throws {
        let server = Self.server(perAddress: 100, perPrefix: 2)
        // 198.51.100.0/24 takes two connections, whichever form the addresses arrive in.
        #expect(Self.admits(server, from: try Self.peer("198.51.100.1", 4_000), clientID: 1))
        #expect(Self.admits(server, from: try Self.peer("::ffff:198.51.100.2", 4_000), clientID: 2))
        #expect(!Self.admits(server, from: try Self.peer("198.51.100.3", 4_000), clientID: 3))
        #expect(!Self.admits(server, from: try Self.peer("::ffff:198.51.100.4", 4_000), clientID: 4))
        #expect(server.statistics.refusedPrefixLimit == 2)
        // Another /24 in mapped form, and IPv6 hosts in ::/64 (where ::ffff:198.51.100.x would lie
        // if it counted as an IPv6 address), are other networks.
        #expect(Self.admits(server, from: try Self.peer("::ffff:198.51.101.1", 4_000), clientID: 5))
        #expect(Self.admits(server, from: try Self.peer("::1", 4_000), clientID: 6))
        #expect(Self.admits(server, from: try Self.peer("::2", 4_000), clientID: 7))
        #expect(server.statistics.refusedPrefixLimit == 2)
    }
}
