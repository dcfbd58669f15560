import RUDPCore
import RUDPFuzzSupport
import RUDPSecurity
import RUDPWire
import Testing

/// Evidence that the security fuzz checks can fail: receivers with the classic replay-protection
/// and authentication bugs planted are each reported, while the real ``PacketProtector`` passes
/// the same programs.
@Suite("Security fuzz checks")
struct SecurityFuzzerTests {
    typealias Kind = SecurityFuzzProgram.PacketNumberKind

    /// Seals packet numbers 5 and 6, delivers both, then replays the first.
    static func replayProgram(_ mode: SecurityMode) -> [UInt8] {
        var program = SecurityFuzzProgram(mode: mode, options: 1)
        program.append(.seal, Kind.small.rawValue, 5, 3, 0xA1, 0xA2, 0xA3)
        program.append(.seal, Kind.next.rawValue, 2, 0xB1, 0xB2)
        program.append(.deliver, 0)
        program.append(.deliver, 1)
        program.append(.deliver, 0)
        return program.bytes
    }

    /// Seals a packet and delivers it with one payload bit flipped, then as sealed.
    static func tamperProgram(_ mode: SecurityMode) -> [UInt8] {
        var program = SecurityFuzzProgram(mode: mode)
        program.append(.seal, Kind.next.rawValue, 8, 1, 2, 3, 4, 5, 6, 7, 8)
        program.append(.deliverMutated, 0, 0, SecurityFuzzProgram.MutationKind.flipBit.rawValue, 0, 21, 0)
        program.append(.deliver, 0)
        return program.bytes
    }

    /// Seals 5, 1029 (the same bitmap slot as 5) and 1030, delivers 5, 1030, then 1029, which
    /// is fresh.
    static func slotReuseProgram(_ mode: SecurityMode) -> [UInt8] {
        var program = SecurityFuzzProgram(mode: mode)
        program.append(.seal, Kind.small.rawValue, 5, 1, 0x01)
        program.append(.seal, Kind.windowWidth.rawValue, 1, 0x02)
        program.append(.seal, Kind.next.rawValue, 1, 0x03)
        program.append(.deliver, 0)
        program.append(.deliver, 2)
        program.append(.deliver, 1)
        return program.bytes
    }

    /// An invented body with a fresh packet number: refused, and must not move the window.
    static func forgedNumberProgram(_ mode: SecurityMode) -> [UInt8] {
        var program = SecurityFuzzProgram(mode: mode)
        program.append(.seal, Kind.small.rawValue, 5, 1, 0x01)
        program.append(.deliver, 0)
        program.append(.deliverWithNumber, Kind.farJump.rawValue, 0, 0, 0, 0, 0, 0, 0x10, 0, 24)
        program.appendRaw([UInt8](repeating: 0x77, count: 24))
        return program.bytes
    }

    static let programs = [replayProgram, tamperProgram, slotReuseProgram, forgedNumberProgram]

    @Test("the real protector passes every planted-bug program", arguments: [SecurityMode.authenticated, .encrypted])
    func realProtectorPasses(mode: SecurityMode) {
        for program in Self.programs {
            let report = SecurityFuzzer.run(program(mode))
            #expect(report.violation == nil, "\(report.violation.map(String.init(describing:)) ?? "")")
            #expect(report.opened >= 1)
        }
    }

    @Test("the engine's SessionProtection passes every planted-bug program", arguments: [SecurityMode.authenticated, .encrypted])
    func sessionProtectionPasses(mode: SecurityMode) {
        for program in Self.programs {
            var bytes = program(mode)
            bytes[0] += 3  // the receiver is the engine's SessionProtection
            let report = SecurityFuzzer.run(bytes)
            #expect(report.violation == nil, "\(report.violation.map(String.init(describing:)) ?? "")")
            #expect(report.opened >= 1)
        }
        var replayed = Self.replayProgram(mode)
        replayed[0] += 3
        #expect(SecurityFuzzer.run(replayed).refusals["replayed"] == 1)
    }

    @Test("a receiver that skips the replay check is caught", arguments: [SecurityMode.authenticated, .encrypted])
    func replayAccepted(mode: SecurityMode) {
        let report = SecurityFuzzer.run(Self.replayProgram(mode)) { mode, key, direction in
            ReplayAcceptingReceiver(mode: mode, key: key, direction: direction)
        }
        #expect(report.violation?.message.contains("a replay was accepted") == true, "\(String(describing: report.violation))")
        #expect(report.violation?.operationIndex == 4)
    }

    @Test("a receiver that accepts a tampered packet is caught", arguments: [SecurityMode.authenticated, .encrypted])
    func tamperedAccepted(mode: SecurityMode) {
        let report = SecurityFuzzer.run(Self.tamperProgram(mode)) { mode, key, direction in
            UnauthenticatedReceiver(mode: mode, key: key, direction: direction)
        }
        #expect(report.violation?.message.contains("the sender never sealed it") == true, "\(String(describing: report.violation))")
        #expect(report.violation?.operationIndex == 1)
    }

    @Test("a window that does not clear reused slots is caught")
    func slotNotCleared() {
        let report = SecurityFuzzer.run(Self.slotReuseProgram(.encrypted)) { mode, key, direction in
            BitmapReceiver(mode: mode, key: key, direction: direction, clearsSlots: false, acceptsBeforeVerifying: false)
        }
        // Accepting 1030 leaves 1029's slot set from 5: the window already misjudges 1029.
        #expect(
            report.violation?.message.contains("window says 1029 is duplicate; the model says fresh") == true,
            "\(String(describing: report.violation))")
        #expect(report.violation?.operationIndex == 4)
        let correct = SecurityFuzzer.run(Self.slotReuseProgram(.encrypted)) { mode, key, direction in
            BitmapReceiver(mode: mode, key: key, direction: direction, clearsSlots: true, acceptsBeforeVerifying: false)
        }
        #expect(correct.violation == nil, "the test's own window, fixed, passes: \(String(describing: correct.violation))")
    }

    @Test("a window that moves before the packet verified is caught")
    func windowMovedByForgery() {
        let report = SecurityFuzzer.run(Self.forgedNumberProgram(.authenticated)) { mode, key, direction in
            BitmapReceiver(mode: mode, key: key, direction: direction, clearsSlots: true, acceptsBeforeVerifying: true)
        }
        #expect(report.violation?.message.contains("changed the replay window") == true, "\(String(describing: report.violation))")
    }

    @Test("random programs keep every invariant")
    func randomPrograms() {
        let seed: UInt64 = 0x5EC
        var rng = SeededGenerator(seed: seed)
        for round in 0..<60 {
            let length = Int.random(in: 2..<400, using: &rng)
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let violation = SecurityFuzzer.violation(in: bytes)
            #expect(violation == nil, "seed \(seed) round \(round): \(violation.map(String.init(describing:)) ?? "")")
        }
    }

    @Test("the window model follows SECURITY.md section 5")
    func model() {
        var model = ReplayWindowModel()
        #expect(model.status(of: 0) == .fresh && model.status(of: 1 << 62) == .tooOld)
        model.accept(5000)
        #expect(model.status(of: 5000) == .duplicate)
        #expect(model.status(of: 5000 - 1023) == .fresh)
        #expect(model.status(of: 5000 - 1024) == .tooOld)
        #expect(model.status(of: 5001) == .fresh)
    }
}

/// The big-endian packet number of a datagram's header (0 if it is too short).
private func packetNumber(of datagram: [UInt8]) -> UInt64 {
    guard datagram.count >= Packet.headerSize else { return 0 }
    return datagram[11..<Packet.headerSize].reduce(0) { $0 << 8 | UInt64($1) }
}

/// Planted bug: a replayed packet number is opened again (its check is skipped).
final class ReplayAcceptingReceiver: SecurityFuzzReceiver {
    let real: PacketProtector
    let mode: SecurityMode
    let key: SecretKey
    let direction: PacketDirection

    init(mode: SecurityMode, key: SecretKey, direction: PacketDirection) {
        real = PacketProtector(mode: mode, key: key, direction: direction)
        self.mode = mode
        self.key = key
        self.direction = direction
    }

    var windowState: ReplayWindow { real.replayWindow }
    var highestAccepted: UInt64? { real.replayWindow.highest }
    func windowStatus(of packetNumber: UInt64) -> ReplayWindow.Status { real.replayWindow.status(of: packetNumber) }

    func open(datagram: [UInt8]) throws(SecurityError) -> (header: [UInt8], payload: [UInt8]) {
        if real.replayWindow.status(of: packetNumber(of: datagram)) == .duplicate {
            return try PacketProtector(mode: mode, key: key, direction: direction).open(datagram: datagram)
        }
        return try real.open(datagram: datagram)
    }
}

/// Planted bug: a datagram whose tag does not verify is passed on anyway (authenticated mode
/// hands out the clear payload, encrypted mode the ciphertext).
final class UnauthenticatedReceiver: SecurityFuzzReceiver {
    let real: PacketProtector

    init(mode: SecurityMode, key: SecretKey, direction: PacketDirection) {
        real = PacketProtector(mode: mode, key: key, direction: direction)
    }

    var windowState: ReplayWindow { real.replayWindow }
    var highestAccepted: UInt64? { real.replayWindow.highest }
    func windowStatus(of packetNumber: UInt64) -> ReplayWindow.Status { real.replayWindow.status(of: packetNumber) }

    func open(datagram: [UInt8]) throws(SecurityError) -> (header: [UInt8], payload: [UInt8]) {
        do {
            return try real.open(datagram: datagram)
        } catch {
            guard error.code == .authenticationFailed else { throw error }
            let body = datagram.dropLast(PacketProtector.tagSize)
            return (Array(body.prefix(Packet.headerSize)), Array(body.dropFirst(Packet.headerSize)))
        }
    }
}

/// A receiver with its own 1024-slot bitmap (packets verified by a fresh protector each time),
/// with two bugs that can be planted: slots of skipped numbers not cleared when the window
/// advances, and numbers recorded before the packet verified.
final class BitmapReceiver: SecurityFuzzReceiver {
    struct State: Equatable {
        var highest: UInt64?
        var slots = [Bool](repeating: false, count: ReplayWindow.width)
    }

    let mode: SecurityMode
    let key: SecretKey
    let direction: PacketDirection
    let clearsSlots: Bool
    let acceptsBeforeVerifying: Bool
    private(set) var windowState = State()

    init(mode: SecurityMode, key: SecretKey, direction: PacketDirection, clearsSlots: Bool, acceptsBeforeVerifying: Bool) {
        self.mode = mode
        self.key = key
        self.direction = direction
        self.clearsSlots = clearsSlots
        self.acceptsBeforeVerifying = acceptsBeforeVerifying
    }

    var highestAccepted: UInt64? { windowState.highest }

    func windowStatus(of pn: UInt64) -> ReplayWindow.Status {
        guard pn < Packet.packetNumberLimit else { return .tooOld }
        guard let highest = windowState.highest, pn <= highest else { return .fresh }
        if highest - pn >= UInt64(ReplayWindow.width) { return .tooOld }
        return windowState.slots[Int(pn % UInt64(ReplayWindow.width))] ? .duplicate : .fresh
    }

    private func accept(_ pn: UInt64) {
        if let highest = windowState.highest, pn > highest, clearsSlots {
            var n = highest + 1
            while n <= pn && n - highest <= UInt64(ReplayWindow.width) {
                windowState.slots[Int(n % UInt64(ReplayWindow.width))] = false
                n += 1
            }
        }
        windowState.highest = max(windowState.highest ?? pn, pn)
        windowState.slots[Int(pn % UInt64(ReplayWindow.width))] = true
    }

    func open(datagram: [UInt8]) throws(SecurityError) -> (header: [UInt8], payload: [UInt8]) {
        let pn = packetNumber(of: datagram)
        if datagram.count >= Packet.headerSize + PacketProtector.tagSize && datagram.count <= Packet.maximumDatagramSize
            && pn < Packet.packetNumberLimit
        {
            switch windowStatus(of: pn) {
            case .duplicate: throw .replayed(packetNumber: pn)
            case .tooOld: throw .tooOld(packetNumber: pn)
            case .fresh: break
            }
            if acceptsBeforeVerifying { accept(pn) }
        }
        let opened = try PacketProtector(mode: mode, key: key, direction: direction).open(datagram: datagram)
        if !acceptsBeforeVerifying { accept(pn) }
        return opened
    }
}

/// A property of the security layer the harness has to allow for (found by the fuzzer).
@Suite("Security fuzz findings")
struct SecurityFuzzFindingsTests {
    @Test("an empty-payload packet is the same datagram in authenticated and encrypted mode")
    func emptyPayloadIsModeIndependent() throws {
        let key = SecurityFuzzKeys.shared.session.clientToServer
        var header: [UInt8] = [Packet.version, PacketType.data.rawValue, 0] + [UInt8](repeating: 0xAB, count: 8)
        header += [0, 0, 0, 0, 0, 0, 0, 4]
        let authenticated = try PacketProtector(mode: .authenticated, key: key, direction: .clientToServer)
            .seal(header: header, payload: [], packetNumber: 4)
        let encrypted = try PacketProtector(mode: .encrypted, key: key, direction: .clientToServer)
            .seal(header: header, payload: [], packetNumber: 4)
        #expect(authenticated == encrypted)
        // With a payload the modes differ, and each refuses the other's datagram.
        let withPayload = try PacketProtector(mode: .authenticated, key: key, direction: .clientToServer)
            .seal(header: header, payload: [0x01], packetNumber: 4)
        #expect(throws: SecurityError.authenticationFailed) {
            _ = try PacketProtector(mode: .encrypted, key: key, direction: .clientToServer).open(datagram: withPayload)
        }
    }
}

/// Evidence that the secure engine checks can fail: a server whose CONNECT tag check is planted
/// to pass everything creates state for a changed CONNECT, and the harness reports it.
@Suite("Secure engine fuzz checks")
struct SecureEngineFuzzCheckTests {
    /// CONNECT, RETRY, then the CONNECT that echoes the cookie with one bit of its client random flipped.
    static var forgedConnectProgram: [UInt8] {
        var program = EngineFuzzProgram(flags: 0, seed: 0)
        program.append(.deliverToServer)
        program.append(.deliverToClient)
        program.append(.deliverMutated, 1, 0, 0, 51, 0)  // to the server, flip bit 0 of byte 51
        program.append(.drainNetwork)
        return program.bytes
    }

    @Test("the real handshake refuses the changed CONNECT")
    func realHandshake() {
        let report = EngineFuzzer.run(Self.forgedConnectProgram, secure: true)
        #expect(report.violation == nil, "\(String(describing: report.violation))")
    }

    @Test("a server that skips the connect-key tag check is caught")
    func plantedTagBypass() {
        let report = EngineFuzzer.run(Self.forgedConnectProgram, secure: true) { TagIgnoringHandshake(wrapping: $0) }
        #expect(report.violation?.message.contains("a peer without the key got state") == true, "\(String(describing: report.violation))")
        #expect(report.violation?.operationIndex == 2)
    }
}

/// Planted bug: every CONNECT's connect-key tag "verifies"; everything else is the real hooks.
final class TagIgnoringHandshake: HandshakeSecurity {
    let real: any HandshakeSecurity
    init(wrapping real: any HandshakeSecurity) { self.real = real }
    var flags: PacketFlags { real.flags }
    func nextRandom() -> [UInt8] { real.nextRandom() }
    func appendConnectKeyTag(_ packet: inout [UInt8]) { real.appendConnectKeyTag(&packet) }
    func verifyConnectKeyTag(_ datagram: [UInt8]) -> Bool { true }
    func issueCookie(address: [UInt8], clientConnectionID: ConnectionID, at now: Timestamp) -> [UInt8] {
        real.issueCookie(address: address, clientConnectionID: clientConnectionID, at: now)
    }
    func checkCookie(_ cookie: [UInt8], address: [UInt8], clientConnectionID: ConnectionID, at now: Timestamp) -> CookieCheck {
        real.checkCookie(cookie, address: address, clientConnectionID: clientConnectionID, at: now)
    }
    func sessionProtection(
        clientRandom: [UInt8], serverRandom: [UInt8], clientConnectionID: ConnectionID,
        serverConnectionID: ConnectionID, isClient: Bool
    ) -> (any PacketProtection)? {
        real.sessionProtection(
            clientRandom: clientRandom, serverRandom: serverRandom, clientConnectionID: clientConnectionID,
            serverConnectionID: serverConnectionID, isClient: isClient)
    }
}
