import RUDPSecurity

/// The per-input check of the security-layer fuzz target, also replayed by the unit tests.
///
/// The input is a ``SecurityFuzzProgram``: a security mode (none, authenticated, encrypted), a
/// direction and cookie options, then ``SecurityFuzzOperation``s. A sender and a receiver
/// ``PacketProtector`` share a fixed test key (``SecurityFuzzKeys``); the program seals packets
/// (packet numbers stepping, jumping to the window's edges, far ahead and up to 2^62), delivers
/// them in any order and any number of times, changes them, forges them with other keys,
/// directions and modes, and delivers arbitrary bytes. It also issues and verifies retry cookies
/// (``CookieIssuer``) on a clock it moves, and computes and checks handshake tags. Asserted after
/// every operation:
///
/// - a datagram opens only if the sender sealed exactly those bytes and its packet number was
///   not accepted before; everything else is refused with exactly the error `Specs/SECURITY.md`
///   section 4.4 names for it (`oversize`, `truncated`, `invalidPacketNumber`, `replayed`,
///   `tooOld`, `authenticationFailed`; `checksumMismatch` in mode none); never a crash;
/// - the opened header and payload are the ones sealed;
/// - the receiver's replay window classifies numbers exactly as a model that keeps the set of all
///   accepted numbers (``ReplayWindowModel``), including `tooOld` 1,024 below the highest; a
///   refused datagram leaves the window unchanged; at the end the whole window is compared;
/// - sealing refuses exactly the numbers that would repeat a nonce or reach 2^62, oversize
///   datagrams and bad headers, and a refused seal changes nothing;
/// - a separate ``ReplayWindow`` fed numbers directly agrees with its own model and ignores numbers
///   it would reject;
/// - a cookie verifies only if the issuer made exactly those bytes for that address and client
///   connection ID, with its current or previous secret, and it is within its lifetime
///   (`invalidCookie` / `expiredCookie` otherwise);
/// - a handshake tag verifies only for the message and key it was computed for.
///
/// ```swift
/// var program = SecurityFuzzProgram(mode: .encrypted)
/// program.append(.seal, SecurityFuzzProgram.PacketNumberKind.next.rawValue, 2, 0xAA, 0xBB)
/// program.append(.deliver, 0)
/// program.append(.deliver, 0)          // replay: must be refused
/// SecurityFuzzer.check(program.bytes)  // traps if an invariant breaks
/// ```
public enum SecurityFuzzer {
    /// Runs the program in `bytes`; traps on the first violated invariant.
    public static func check(_ bytes: [UInt8]) {
        if let violation = violation(in: bytes) { FuzzViolation.trap("SecurityFuzzer: \(violation)") }
    }

    /// Runs the program in `bytes` and returns the first violated invariant, or nil.
    public static func violation(in bytes: [UInt8]) -> FuzzViolation? {
        run(bytes).violation
    }

    /// Runs the program in `bytes` against a real receiver: a ``PacketProtector``, or, when the
    /// header's mode byte divided by 3 is odd and the mode is not none, the engine's
    /// ``SessionProtection`` (through ``SessionProtectionReceiver``).
    public static func run(_ bytes: [UInt8]) -> SecurityFuzzReport {
        let modeByte = bytes.first ?? 0
        let mode = SecurityFuzzProgram.mode(modeByte)
        if (modeByte / 3) % 2 == 1 && mode != .none {
            let isClient = bytes.count < 2 || bytes[1] & 1 == 0
            return run(bytes) { mode, _, _ in
                do {
                    return try SessionProtectionReceiver(mode: mode, keys: SecurityFuzzKeys.shared.session, isClient: isClient)
                } catch {
                    preconditionFailure("SecurityFuzzer: cannot make a SessionProtection with the test keys: \(error)")
                }
            }
        }
        return run(bytes) { mode, key, direction in PacketProtector(mode: mode, key: key, direction: direction) }
    }

    /// Runs the program in `bytes` against the receiver `makeReceiver` returns for the program's
    /// mode, packet key and direction: the tests use it to show that a broken receiver is caught.
    public static func run<Receiver: SecurityFuzzReceiver>(
        _ bytes: [UInt8], makeReceiver: (SecurityMode, SecretKey, PacketDirection) -> Receiver
    ) -> SecurityFuzzReport {
        var input = FuzzInput(bytes)
        let harness = SecurityFuzzHarness(header: &input, makeReceiver: makeReceiver)
        do {
            try harness.run(&input)
        } catch {
            harness.report.violation = error
        }
        return harness.report
    }

    /// The retry cookie of the security vectors: made with a secret the harness's issuer never has.
    static let foreignCookie: [UInt8] = FuzzSeeds.decodeHex("000000003b9aca001cddc1d67f8738cc95405cf9eeb17c73") ?? []

    // MARK: seeds

    /// Programs that walk through every operation in every mode, direction and several cookie
    /// configurations with the vectors' payloads and handshake messages, plus one program per
    /// vector datagram (valid ones are foreign to the harness's key) and per vector cookie.
    public static func seedPrograms(vectors: SecurityFuzzVectors) -> [[UInt8]] {
        let payloads = vectors.packets.compactMap { FuzzSeeds.decodeHex($0.payload) }
        let messages = vectors.handshakeTags.compactMap { FuzzSeeds.decodeHex($0.message) }
        var programs: [[UInt8]] = []
        let optionSets: [UInt8] = [
            0x00, 0x01, 0x01 | 1 << 1 | 3 << 6, 4 << 1 | 3 << 4 | 2 << 6, 2 << 1 | 1 << 4 | 1 << 6, 0x01 | 7 << 1 | 2 << 4,
        ]
        for mode in SecurityMode.allCases {
            for options in optionSets {
                programs.append(walkthrough(mode: mode, options: options, payloads: payloads, messages: messages).bytes)
            }
            if mode != .none {
                for options in optionSets.prefix(2) {
                    programs.append(
                        walkthrough(mode: mode, options: options, sessionProtection: true, payloads: payloads, messages: messages).bytes)
                }
            }
            programs.append(windowEdges(mode: mode).bytes)
        }
        let datagrams =
            vectors.packets.map { ($0.mode, $0.direction, $0.datagram) }
            + vectors.invalidPackets.map { ($0.mode, $0.direction, $0.datagram) }
        for (modeName, directionName, hex) in datagrams {
            guard let datagram = FuzzSeeds.decodeHex(hex) else { continue }
            var program = SecurityFuzzProgram(
                mode: SecurityMode(rawValue: modeName) ?? .encrypted,
                options: directionName == "client_to_server" ? 1 : 0)
            appendArbitrary(datagram, to: &program)
            appendSeal(.small, 5, payload: datagram, to: &program)
            program.append(.deliver, 0)
            appendArbitrary(datagram, to: &program)
            programs.append(program.bytes)
        }
        for cookie in vectors.cookies {
            var program = SecurityFuzzProgram(mode: .none, options: 2 << 6)
            for address: UInt8 in [0, 1, 6] {
                program.append(.verifyCookie, 3, 0, address)
                if address == 6, let bytes = FuzzSeeds.decodeHex(cookie.address) {
                    program.appendRaw([UInt8(bytes.count)] + bytes)
                }
                program.appendRaw([1, 0])
            }
            programs.append(program.bytes)
        }
        return programs
    }

    private typealias PacketNumberKind = SecurityFuzzProgram.PacketNumberKind

    private static func appendArbitrary(_ datagram: [UInt8], to program: inout SecurityFuzzProgram) {
        let length = min(datagram.count, 2047)
        program.append(.deliverArbitrary, UInt8(length >> 8), UInt8(length & 0xff))
        program.appendRaw(Array(datagram.prefix(length)))
    }

    private static func choice(_ kind: PacketNumberKind, _ value: UInt64 = 0) -> [UInt8] {
        SecurityFuzzProgram.packetNumberChoice(kind, value)
    }

    private static func appendSeal(_ kind: PacketNumberKind, _ value: UInt64 = 0, payload: [UInt8], to program: inout SecurityFuzzProgram) {
        program.append(.seal, arguments: choice(kind, value) + [UInt8(min(payload.count, 0xEF))] + payload.prefix(0xEF))
    }

    /// The arguments of ``SecurityFuzzOperation/verifyCookie`` for cookie choice `cookie` (0 issued,
    /// 1 changed, 2 arbitrary, 3 foreign, 4 restamped) of issued cookie `index`, address choice
    /// 0-5, connection ID choice 0-3 and time choice 0-4 or 6.
    private static func verifyCookie(_ cookie: UInt8, index: UInt8, address: UInt8 = 0, id: UInt8 = 0, time: UInt8 = 0) -> [UInt8] {
        var arguments: [UInt8] = [cookie, index]
        switch cookie {
        case 1: arguments += [index &* 5, 0x40]
        case 2: arguments += [24] + [UInt8](repeating: index, count: 24)
        case 4: arguments += [index]
        default: break
        }
        return arguments + [address, id, time]
    }

    /// Every operation once or more, in a sensible order.
    private static func walkthrough(
        mode: SecurityMode, options: UInt8, sessionProtection: Bool = false,
        payloads: [[UInt8]], messages: [[UInt8]]
    ) -> SecurityFuzzProgram {
        var program = SecurityFuzzProgram(mode: mode, options: options, sessionProtection: sessionProtection)
        let first = payloads.first ?? [1]
        // In order, reordered, replayed.
        appendSeal(.small, 5, payload: first, to: &program)
        for payload in payloads.dropFirst() { appendSeal(.next, payload: payload, to: &program) }
        appendSeal(.step, 3, payload: [], to: &program)
        program.append(.deliver, 1)
        program.append(.deliver, 0)
        program.append(.deliver, 0)
        program.append(.deliver, 2)
        // Every kind of change, once each, to a packet not yet delivered.
        let changed = UInt8(payloads.count + 1)
        appendSeal(.next, payload: Array(repeating: 0x5A, count: 40), to: &program)
        for kind in SecurityFuzzProgram.MutationKind.allCases {
            program.append(.deliverMutated, changed, 0, kind.rawValue, 0, 21, 0x80)
        }
        program.append(.deliverMutated, changed, 3, 0, 0, 3, 1, 1, 0, 30, 7, 2, 0, 50, 0, 8, 0, 0, 0)
        program.append(.deliver, changed)
        // Window edges: a jump by more than the window makes the skipped packet too old.
        appendSeal(.next, payload: [0x01], to: &program)
        appendSeal(.aboveWindowWidth, payload: [0x01], to: &program)
        appendSeal(.belowWindowWidth, payload: [0x01], to: &program)
        program.append(.deliver, changed + 3)
        program.append(.deliver, changed + 2)
        program.append(.deliver, changed + 1)
        // Invented bodies at the edges of the window and of the packet number space.
        for kind: PacketNumberKind in [.oldestInWindow, .firstTooOld, .base, .next, .aboveLimit, .windowWidth, .belowLimit] {
            program.append(.deliverWithNumber, arguments: choice(kind) + [20] + [UInt8](repeating: 0xEE, count: 20))
        }
        for kind in 0..<4 as Range<UInt8> {
            program.append(.deliverForged, arguments: [kind] + choice(.next) + [UInt8(first.count)] + first)
        }
        for kind in PacketNumberKind.allCases {
            program.append(.queryWindow, arguments: choice(kind, 1))
        }
        for kind: UInt8 in 0..<3 { program.append(.sealMisuse, kind, 18) }
        // Arbitrary datagrams around the size limits.
        for special: UInt16 in [0xF000, 0xF001, 0xF002, 0xF004, 0xF005, 0xF007, 0xF008, 0xF00C] {
            program.append(.deliverArbitrary, UInt8(special >> 8), UInt8(special & 0xff), 0x42)
        }
        // Large payloads around the datagram limit.
        for size: UInt8 in [0xF5, 0xF6, 0xF9, 0xFA] { program.append(.seal, arguments: choice(.next) + [size, 0x33]) }
        program.append(.deliver, 0xFF)
        // The top of the packet number space: 2^62 - 2 and 2^62 - 1 seal, 2^62 does not.
        appendSeal(.belowLimit, 1, payload: [0x02], to: &program)
        appendSeal(.belowLimit, 0, payload: [0x03], to: &program)
        appendSeal(.next, payload: [0x04], to: &program)
        appendSeal(.base, payload: [0x05], to: &program)  // would reuse a nonce
        appendSeal(.back, 3, payload: [0x06], to: &program)
        program.append(.deliver, 0xFE)
        program.append(.deliver, 0xFF)
        program.append(.deliver, 0xFF)
        // Cookies: every address and ID choice, each verification time, expiry and rotation.
        for address: UInt8 in 1..<6 { program.append(.issueCookie, address, address % 4) }
        program.append(.issueCookie, 6, 4, 1, 2, 3, 4, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08)
        for cookie: UInt8 in 0..<5 {
            for time: UInt8 in [0, 1, 2, 3, 4, 6] {
                program.append(.verifyCookie, arguments: verifyCookie(cookie, index: cookie, time: time))
            }
        }
        program.append(.verifyCookie, arguments: verifyCookie(0, index: 0, address: 4))
        program.append(.verifyCookie, arguments: verifyCookie(0, index: 0, id: 2))
        program.append(.advanceTime, 4, 0, 0)
        program.append(.verifyCookie, arguments: verifyCookie(0, index: 1))
        program.append(.advanceTime, 5, 0, 0)
        program.append(.verifyCookie, arguments: verifyCookie(0, index: 1))
        program.append(.issueCookie, 1, 1)
        program.append(.rotateCookieSecret)
        program.append(.verifyCookie, arguments: verifyCookie(0, index: 6))
        program.append(.rotateCookieSecret)
        program.append(.verifyCookie, arguments: verifyCookie(0, index: 6))
        program.append(.advanceTime, 2, 0x01, 0x00)
        program.append(.issueCookie, 2, 2)
        program.append(.verifyCookie, arguments: verifyCookie(0, index: 7))
        // Handshake tags: the vectors' messages under both keys, then every kind of change.
        // (implementations 0 and 1: HandshakeAuthenticator; 2 and 3: the engine's hooks)
        for message in messages {
            for implementation: UInt8 in 0..<4 {
                program.append(.handshakeTag, arguments: [implementation, UInt8(min(message.count, 255))] + message.prefix(255))
            }
        }
        for implementation: UInt8 in [0, 2] {
            for change: UInt8 in 0..<6 { program.append(.handshakeVerify, implementation, change, change, 5, 0x10) }
        }
        program.append(.handshakeVerify, 3, 1, 6, 0, 0)  // discard the handshake key, then verify
        program.append(.handshakeTag, 3, 1, 0x42)
        // The separate window: edges, duplicates, far jumps, the limit.
        for (kind, value) in [
            (PacketNumberKind.small, 5), (.windowWidth, 0), (.base, 0), (.firstTooOld, 0),
            (.oldestInWindow, 0), (.back, 0), (.farJump, 1 << 32), (.belowLimit, 0),
            (.aboveLimit, 0), (.absolute, .max), (.back, 200),
        ] as [(PacketNumberKind, UInt64)] {
            program.append(.windowAccept, arguments: choice(kind, value))
        }
        return program
    }

    /// Many packets sealed around one window width apart and delivered from the newest down, so
    /// that every slot of the bitmap is reused.
    private static func windowEdges(mode: SecurityMode) -> SecurityFuzzProgram {
        var program = SecurityFuzzProgram(mode: mode, options: 1)
        for index in 0..<40 {
            let kind: PacketNumberKind = index % 3 == 0 ? .belowWindowWidth : (index % 3 == 1 ? .step : .windowWidth)
            appendSeal(kind, UInt64(index * 7), payload: [UInt8(index)], to: &program)
        }
        for index in stride(from: 39, through: 0, by: -1) { program.append(.deliver, UInt8(index)) }
        for index in 0..<40 { program.append(.deliver, UInt8(index)) }
        for kind in PacketNumberKind.allCases { program.append(.queryWindow, arguments: choice(kind, 3)) }
        return program
    }
}
