import RUDPCore
import RUDPSecurity
import RUDPWire

/// Keys, endpoint securities and counters shared by the secure engine tests.
enum SecurityTestSupport {
    /// The fixed test key (`ab` × 32) and another one for wrong-key tests.
    static let key = try! PreSharedKey(hexEncoded: String(repeating: "ab", count: 32), source: "test key")
    static let otherKey = try! PreSharedKey(hexEncoded: String(repeating: "cd", count: 32), source: "other test key")

    /// An endpoint security with seeded randoms.
    static func security(
        _ mode: SecurityMode, key: PreSharedKey = key, seed: UInt64,
        cookieLifetime: UInt64 = CookieIssuer.defaultLifetime
    ) -> EndpointSecurity {
        let handshake = try! PSKHandshakeSecurity(
            configuration: SecurityConfiguration(mode: mode, key: key, cookieLifetime: cookieLifetime),
            randomness: .seeded(seed))
        return EndpointSecurity(handshake: handshake)
    }

    /// A pair of endpoints with security in `mode` on both sides.
    static func pair(
        _ mode: SecurityMode, clientKey: PreSharedKey = key,
        clientConfig: ConnectionConfiguration = ConnectionConfiguration(),
        serverConfig: ConnectionConfiguration = ConnectionConfiguration(), seed: UInt64 = 1
    ) -> Pair {
        pair(client: mode, server: mode, clientKey: clientKey, clientConfig: clientConfig, serverConfig: serverConfig, seed: seed)
    }

    /// A pair of endpoints with the given security on each side (nil: plain).
    static func pair(
        client: SecurityMode?, server: SecurityMode?, clientKey: PreSharedKey = key,
        clientConfig: ConnectionConfiguration = ConnectionConfiguration(),
        serverConfig: ConnectionConfiguration = ConnectionConfiguration(), seed: UInt64 = 1
    ) -> Pair {
        Pair(
            clientConfig: clientConfig, serverConfig: serverConfig, seed: seed,
            clientSecurity: client.map { security($0, key: clientKey, seed: seed &* 31 &+ 7) },
            serverSecurity: server.map { security($0, seed: seed &* 31 &+ 8) })
    }

    /// Every drop counter of an endpoint and of the given connections, summed.
    static func drops(_ endpoint: Endpoint, _ ids: [ConnectionID?]) -> Int {
        let e = endpoint.statistics
        var total =
            e.malformedDatagrams + e.unroutableDatagrams + e.handshakeAuthenticationFailures + e.invalidCookies
            + e.connectionsRefused
        for case let id? in ids {
            guard let s = endpoint.connection(id)?.statistics else { continue }
            total +=
                s.authenticationFailures + s.replayedPacketsDropped + s.malformedPacketsDropped
                + s.unprotectedPacketsDropped + s.duplicatePacketsDropped
        }
        return total
    }
}
