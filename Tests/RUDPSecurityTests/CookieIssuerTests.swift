import RUDPWire
import Testing

@testable import RUDPSecurity

/// Stateless retry cookies: binding to address and ID, lifetime, rotation, tampering.
@Suite("CookieIssuer")
struct CookieIssuerTests {
    static let address: [UInt8] = [127, 0, 0, 1, 0x11, 0x51]
    static let second: UInt64 = 1_000_000_000

    @Test func issuedCookieVerifiesForItsAddressAndID() throws {
        let issuer = try CookieIssuer(at: 0)
        let cookie = issuer.issue(address: Self.address, clientConnectionID: Fixtures.clientID, at: 5 * Self.second)
        #expect(cookie.count == CookieIssuer.cookieSize)
        try issuer.verify(cookie, address: Self.address, clientConnectionID: Fixtures.clientID, at: 5 * Self.second)
        try issuer.verify(cookie, address: Self.address, clientConnectionID: Fixtures.clientID, at: 15 * Self.second)
        #expect(throws: SecurityError.expiredCookie) {
            try issuer.verify(cookie, address: Self.address, clientConnectionID: Fixtures.clientID, at: 15 * Self.second + 1)
        }
        #expect(throws: SecurityError.expiredCookie) {
            try issuer.verify(cookie, address: Self.address, clientConnectionID: Fixtures.clientID, at: .max)
        }
        #expect(throws: SecurityError.invalidCookie) {
            try issuer.verify(cookie, address: [127, 0, 0, 2, 0x11, 0x51], clientConnectionID: Fixtures.clientID, at: 5 * Self.second)
        }
        #expect(throws: SecurityError.invalidCookie) {
            try issuer.verify(cookie, address: Self.address, clientConnectionID: Fixtures.serverID, at: 5 * Self.second)
        }
        #expect(throws: SecurityError.invalidCookie) {
            try issuer.verify(cookie, address: [], clientConnectionID: Fixtures.clientID, at: 5 * Self.second)
        }
        // another server's cookie
        let other = try CookieIssuer(at: 0)
        #expect(throws: SecurityError.invalidCookie) {
            try other.verify(cookie, address: Self.address, clientConnectionID: Fixtures.clientID, at: 5 * Self.second)
        }
    }

    @Test func everyTamperedByteIsRejected() throws {
        let issuer = try CookieIssuer(at: 0)
        let cookie = issuer.issue(address: Self.address, clientConnectionID: Fixtures.clientID, at: 2 * Self.second)
        for index in cookie.indices {
            var tampered = cookie
            tampered[index] ^= 0x01
            #expect(throws: SecurityError.self, "byte \(index)") {
                try issuer.verify(tampered, address: Self.address, clientConnectionID: Fixtures.clientID, at: 3 * Self.second)
            }
        }
        for length in [0, 8, 23, 25] {
            let wrong = Array((cookie + [0]).prefix(length))
            #expect(throws: SecurityError.invalidCookie) {
                try issuer.verify(wrong, address: Self.address, clientConnectionID: Fixtures.clientID, at: 3 * Self.second)
            }
        }
    }

    @Test func previousSecretIsAcceptedOnlyUntilTheNextRotation() throws {
        let issuer = try CookieIssuer(at: 0)
        let cookie = issuer.issue(address: Self.address, clientConnectionID: Fixtures.clientID, at: Self.second)
        issuer.rotate(at: 2 * Self.second)
        try issuer.verify(cookie, address: Self.address, clientConnectionID: Fixtures.clientID, at: 3 * Self.second)
        let fresh = issuer.issue(address: Self.address, clientConnectionID: Fixtures.clientID, at: 3 * Self.second)
        issuer.rotate(at: 4 * Self.second)
        #expect(throws: SecurityError.invalidCookie) {
            try issuer.verify(cookie, address: Self.address, clientConnectionID: Fixtures.clientID, at: 5 * Self.second)
        }
        try issuer.verify(fresh, address: Self.address, clientConnectionID: Fixtures.clientID, at: 5 * Self.second)
    }

    /// Automatic rotation never invalidates a cookie within its lifetime.
    @Test func automaticRotationKeepsCookiesValidForTheirLifetime() throws {
        let lifetime = 10 * Self.second
        let issuer = try CookieIssuer(at: 0, lifetime: lifetime, rotationInterval: 1)  // raised to the lifetime
        #expect(issuer.rotationInterval == lifetime)
        var issued: [(cookie: [UInt8], at: UInt64)] = []
        var now: UInt64 = 0
        for _ in 0..<200 {
            now += Self.second / 2 + 12_345
            issued.append((issuer.issue(address: Self.address, clientConnectionID: Fixtures.clientID, at: now), now))
            for (cookie, at) in issued where now - at <= lifetime {
                try issuer.verify(cookie, address: Self.address, clientConnectionID: Fixtures.clientID, at: now)
            }
        }
        // cookies from three or more rotations ago are refused
        #expect(throws: SecurityError.self) {
            try issuer.verify(issued[0].cookie, address: Self.address, clientConnectionID: Fixtures.clientID, at: now)
        }
    }

    @Test func lifetimeEdgesDoNotOverflow() throws {
        let issuer = CookieIssuer(secret: SecretKey.random(), at: 0, lifetime: .max)
        #expect(issuer.rotationInterval == .max)
        let cookie = issuer.issue(address: Self.address, clientConnectionID: Fixtures.clientID, at: .max)
        try issuer.verify(cookie, address: Self.address, clientConnectionID: Fixtures.clientID, at: .max)
        #expect(throws: SecurityError.expiredCookie) {
            try issuer.verify(cookie, address: Self.address, clientConnectionID: Fixtures.clientID, at: 0)
        }
    }
}
