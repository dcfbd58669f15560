import RUDPCore
import RUDPWire
import Testing

/// The plain-mode retry cookie (`Specs/PROTOCOL.md` section 7.5).
@Suite struct PlainRetryCookieTests {
    static let address: [UInt8] = [0x7f, 0x00, 0x00, 0x01, 0x11, 0x51]  // 127.0.0.1:4433
    static let client = ConnectionID(0x0123_4567_89ab_cdef)
    static let second: UInt64 = 1_000_000_000
    static let lifetime: UInt64 = 10 * second

    static func at(_ ns: UInt64) -> Timestamp { Timestamp(nanoseconds: ns) }

    /// The vector of PROTOCOL.md section 7.5 (also the cookie of the vectors `retry-plain` and
    /// `connect-with-cookie`), computed independently with a Python SipHash-2-4.
    @Test func specificationVector() throws {
        let secret = try #require(SipHash(key: Array(0..<16)))
        var cookies = PlainRetryCookie(secret: secret, at: Self.at(0))
        var rng = SeededGenerator(seed: 1)
        let cookie = cookies.issue(address: Self.address, clientConnectionID: Self.client, at: Self.at(Self.second), using: &rng)
        #expect(cookie == hexBytes("000000003b9aca00248663fc90781a4d"))
        #expect(cookie.count == PlainRetryCookie.cookieSize)
        #expect(cookies.check(cookie, address: Self.address, clientConnectionID: Self.client, at: Self.at(Self.second)) == .valid)
    }

    @Test func defaults() {
        var rng = SeededGenerator(seed: 2)
        let cookies = PlainRetryCookie(at: .zero, using: &rng)
        #expect(cookies.lifetime == .seconds(10))
        #expect(cookies.rotationInterval == .seconds(20))
    }

    @Test func validForItsWholeLifetime() {
        var rng = SeededGenerator(seed: 3)
        var cookies = PlainRetryCookie(at: Self.at(5 * Self.second), using: &rng)
        let issued = 7 * Self.second
        let cookie = cookies.issue(address: Self.address, clientConnectionID: Self.client, at: Self.at(issued), using: &rng)
        for t in [issued, issued + 1, issued + Self.lifetime / 2, issued + Self.lifetime] {
            #expect(cookies.check(cookie, address: Self.address, clientConnectionID: Self.client, at: Self.at(t)) == .valid, "at \(t)")
        }
    }

    @Test func otherAddressOrClientIDIsInvalid() {
        var rng = SeededGenerator(seed: 4)
        var cookies = PlainRetryCookie(at: .zero, using: &rng)
        let cookie = cookies.issue(address: Self.address, clientConnectionID: Self.client, at: Self.at(Self.second), using: &rng)
        let now = Self.at(2 * Self.second)
        var otherPort = Self.address
        otherPort[5] ^= 0x01
        #expect(cookies.check(cookie, address: otherPort, clientConnectionID: Self.client, at: now) == .invalid)
        #expect(cookies.check(cookie, address: [0x7f, 0, 0, 2, 0x11, 0x51], clientConnectionID: Self.client, at: now) == .invalid)
        #expect(cookies.check(cookie, address: Array(Self.address.prefix(5)), clientConnectionID: Self.client, at: now) == .invalid)
        #expect(
            cookies.check(cookie, address: Self.address, clientConnectionID: ConnectionID(Self.client.rawValue + 1), at: now) == .invalid)
        #expect(cookies.check(cookie, address: Self.address, clientConnectionID: Self.client, at: now) == .valid)
    }

    @Test func expiredAndFromTheFuture() {
        var rng = SeededGenerator(seed: 5)
        var cookies = PlainRetryCookie(at: .zero, using: &rng)
        let issued = 3 * Self.second
        let cookie = cookies.issue(address: Self.address, clientConnectionID: Self.client, at: Self.at(issued), using: &rng)
        #expect(
            cookies.check(cookie, address: Self.address, clientConnectionID: Self.client, at: Self.at(issued + Self.lifetime + 1))
                == .expired)
        #expect(cookies.check(cookie, address: Self.address, clientConnectionID: Self.client, at: Self.at(issued - 1)) == .expired)
        #expect(cookies.check(cookie, address: Self.address, clientConnectionID: Self.client, at: .zero) == .expired)
    }

    @Test func previousSecretStillValidTwoRotationsAgoInvalid() {
        var rng = SeededGenerator(seed: 6)
        var cookies = PlainRetryCookie(at: .zero, using: &rng)
        let rotation = 2 * Self.lifetime
        // made with the first secret, just before it is due for rotation
        let old = cookies.issue(address: Self.address, clientConnectionID: Self.client, at: Self.at(rotation - 1), using: &rng)
        // the next cookie rotates: the first secret becomes the previous one
        let fresh = cookies.issue(address: Self.address, clientConnectionID: Self.client, at: Self.at(rotation), using: &rng)
        #expect(fresh != old)
        #expect(cookies.check(old, address: Self.address, clientConnectionID: Self.client, at: Self.at(rotation + 1)) == .valid)
        #expect(cookies.check(fresh, address: Self.address, clientConnectionID: Self.client, at: Self.at(rotation + 1)) == .valid)
        // a second rotation drops the first secret: the old cookie no longer matches at all
        // (invalid, not merely expired), the one of the second secret still does
        _ = cookies.issue(address: Self.address, clientConnectionID: Self.client, at: Self.at(2 * rotation), using: &rng)
        #expect(cookies.check(old, address: Self.address, clientConnectionID: Self.client, at: Self.at(2 * rotation)) == .invalid)
        #expect(cookies.check(fresh, address: Self.address, clientConnectionID: Self.client, at: Self.at(2 * rotation)) == .expired)
    }

    @Test func noRotationBeforeTheInterval() {
        var rng = SeededGenerator(seed: 7)
        var cookies = PlainRetryCookie(at: .zero, using: &rng)
        let first = cookies.issue(address: Self.address, clientConnectionID: Self.client, at: Self.at(0), using: &rng)
        // issuing just before the interval keeps the secret: issuing again at the same time gives the same cookie
        let a = cookies.issue(address: Self.address, clientConnectionID: Self.client, at: Self.at(2 * Self.lifetime - 1), using: &rng)
        let b = cookies.issue(address: Self.address, clientConnectionID: Self.client, at: Self.at(2 * Self.lifetime - 1), using: &rng)
        #expect(a == b)
        #expect(cookies.check(first, address: Self.address, clientConnectionID: Self.client, at: Self.at(Self.lifetime)) == .valid)
    }

    @Test func secretsComeFromTheRandomSource() {
        var rng1 = SeededGenerator(seed: 8), rng2 = SeededGenerator(seed: 9)
        var one = PlainRetryCookie(at: .zero, using: &rng1)
        var two = PlainRetryCookie(at: .zero, using: &rng2)
        let a = one.issue(address: Self.address, clientConnectionID: Self.client, at: .zero, using: &rng1)
        let b = two.issue(address: Self.address, clientConnectionID: Self.client, at: .zero, using: &rng2)
        #expect(a != b)
        #expect(one.check(b, address: Self.address, clientConnectionID: Self.client, at: .zero) == .invalid)
    }

    @Test func forgedOrMalformedCookiesAreInvalid() {
        var rng = SeededGenerator(seed: 10)
        var cookies = PlainRetryCookie(at: .zero, using: &rng)
        let issued = Self.second
        let cookie = cookies.issue(address: Self.address, clientConnectionID: Self.client, at: Self.at(issued), using: &rng)
        let now = Self.at(issued + 1)
        // every single flipped bit, of the timestamp or of the tag
        for byte in 0..<cookie.count {
            for bit in 0..<8 {
                var forged = cookie
                forged[byte] ^= UInt8(1 << bit)
                #expect(
                    cookies.check(forged, address: Self.address, clientConnectionID: Self.client, at: now) == .invalid,
                    "bit \(bit) of byte \(byte)")
            }
        }
        // a fresh timestamp with the old tag (extending the lifetime) does not verify
        var moved = cookie
        moved[7] &+= 1
        #expect(cookies.check(moved, address: Self.address, clientConnectionID: Self.client, at: now) == .invalid)
        for size in [0, 8, 15, 17, 24] {
            #expect(
                cookies.check(Array(repeating: 0, count: size), address: Self.address, clientConnectionID: Self.client, at: now) == .invalid
            )
        }
        #expect(cookies.check(cookie + [0], address: Self.address, clientConnectionID: Self.client, at: now) == .invalid)
    }

    func hexBytes(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = text.startIndex
        while i < text.endIndex {
            let j = text.index(i, offsetBy: 2)
            out.append(UInt8(text[i..<j], radix: 16)!)
            i = j
        }
        return out
    }
}
