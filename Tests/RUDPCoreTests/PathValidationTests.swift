import RUDPSecurity
import RUDPWire
import Testing

@testable import RUDPCore

/// Issue 11 point 5, `Specs/PROTOCOL.md` section 7.4: a server moves a connection to a new peer
/// address only after a PATH_CHALLENGE / PATH_RESPONSE exchange from that address, sends the
/// candidate nothing but challenges and at most three times what it received from it, and a
/// client whose NAT binding changes keeps its connection. Deterministic (Hub, virtual time);
/// failures print the seed.
@Suite struct PathValidationTests {
    static let modes: [SecurityMode?] = [nil, .authenticated, .encrypted]
    static let client = 9
    static let moved = 10
    static let victim = 666

    static func security(_ mode: SecurityMode?, seed: UInt64) -> EndpointSecurity? {
        mode.map { SecurityTestSupport.security($0, seed: seed) }
    }

    /// A hub whose server accepts connections and a client at ``client`` that connected.
    static func connected(
        _ mode: SecurityMode?, seed: UInt64,
        configuration: ConnectionConfiguration = ConnectionConfiguration()
    ) throws -> (Hub, ConnectionID, ConnectionID) {
        var server = EndpointConfiguration(acceptsConnections: true)
        server.connection = configuration
        let hub = Hub(server: server, seed: seed, security: security(mode, seed: seed &+ 100))
        _ = hub.client(client, configuration: configuration, security: security(mode, seed: seed &+ 200))
        let id = hub.connect(from: client, configuration: configuration)
        #expect(hub.run(for: .seconds(5)) { hub.isConnected(at: client, id) && hub.serverConnected == 1 }, "seed \(seed)")
        let serverID = try #require(hub.server.connectionIDs.first)
        return (hub, id, serverID)
    }

    /// The size of a PATH_CHALLENGE datagram: a DATA packet with only that frame.
    static func challengeSize(_ mode: SecurityMode?) -> Int {
        Packet.headerSize + 9 + (mode == nil ? Datagram.trailerSize : Packet.protectionTagSize)
    }

    /// Whether the server's datagram is a PATH_CHALLENGE packet (by its frames in plain mode,
    /// by its size in secure mode: nothing else the server sends is that small).
    static func isChallenge(_ datagram: [UInt8], _ mode: SecurityMode?) -> Bool {
        guard mode == nil else { return datagram.count == challengeSize(mode) && datagram[1] == PacketType.data.rawValue }
        guard let packet = try? Datagram.open(datagram), case .data(let frames) = packet.body, frames.count == 1,
            case .pathChallenge = frames[0]
        else { return false }
        return true
    }

    /// Messages of `count` sizes, distinct bytes.
    static func messages(_ count: Int, seed: UInt64) -> [[UInt8]] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { i in
            (0..<(200 + Int(generator.next() % 2_000))).map { UInt8(truncatingIfNeeded: $0 &+ i &* 7) }
        }
    }

    static func received(_ hub: Hub, at addresses: [Int]) -> [[UInt8]] {
        addresses.flatMap { hub.events[$0] ?? [] }.compactMap { if case .message(let m) = $0.1 { return m.bytes } else { return nil } }
    }

    // MARK: - NAT rebinding

    @Test(
        "a client whose address changes mid-transfer keeps its connection; the server follows only after the challenge is answered",
        arguments: modes)
    func natRebindingMidTransfer(mode: SecurityMode?) throws {
        let seed: UInt64 = 51
        let (hub, id, serverID) = try Self.connected(mode, seed: seed)
        let up = Self.messages(300, seed: seed), down = Self.messages(300, seed: seed &+ 1)
        for i in up.indices { try hub.client(Self.client).send(up[i], on: id); try hub.server.send(down[i], on: serverID) }
        hub.run(for: .milliseconds(80))
        #expect(
            Self.received(hub, at: [Hub.serverAddress]).count < up.count, "seed \(seed): the transfer is still running when the NAT rebinds"
        )
        let rebindAt = hub.now
        let outputBefore = hub.serverOutput.count
        hub.rebind(Self.client, to: Self.moved)
        let done = hub.run(for: .seconds(30)) {
            Self.received(hub, at: [Hub.serverAddress]).count == up.count
                && Self.received(hub, at: [Self.client, Self.moved]).count == down.count
        }
        #expect(
            done,
            "seed \(seed), \(String(describing: mode)): \(Self.received(hub, at: [Hub.serverAddress]).count) of \(up.count) up, \(Self.received(hub, at: [Self.client, Self.moved]).count) of \(down.count) down"
        )
        let upIntact = Self.received(hub, at: [Hub.serverAddress]) == up,
            downIntact = Self.received(hub, at: [Self.client, Self.moved]) == down
        #expect(upIntact && downIntact, "seed \(seed): every message, intact and in order")
        #expect(hub.server.address(of: serverID)?.node == Self.moved)
        #expect(hub.client(Self.moved).address(of: id)?.node == Hub.serverAddress, "a client never changes the server address")
        let statistics = hub.server.statistics
        #expect(
            statistics.pathValidationsStarted == 1 && statistics.pathMigrations == 1 && statistics.pathChallengesLimited == 0,
            "seed \(seed): \(statistics)")
        #expect(hub.closeReason(at: Self.moved) == nil && hub.closeReason(at: Hub.serverAddress) == nil)

        // Before the switch, the new address got challenges only, within 3x what it sent.
        let after = hub.serverOutput[outputBefore...].indices
        let toNew = after.filter { hub.serverOutput[$0].to == Self.moved }
        let firstOrdinary = try #require(toNew.first { !Self.isChallenge(hub.serverOutput[$0].datagram, mode) })
        let challenges = toNew.filter { $0 < firstOrdinary }
        #expect(challenges.count == 1, "seed \(seed): one challenge on a lossless path")
        #expect(challenges.allSatisfy { Self.isChallenge(hub.serverOutput[$0].datagram, mode) })
        let switchTime = hub.serverOutputTimes[firstOrdinary] - rebindAt
        let lastToOld = after.last { hub.serverOutput[$0].to == Self.client }.map { hub.serverOutputTimes[$0] - rebindAt }
        print(
            "path validation (\(mode.map { "\($0)" } ?? "plain"), seed \(seed)): rebinding at \(rebindAt), first challenge after \(hub.serverOutputTimes[challenges[0]] - rebindAt), switched after \(switchTime) (one-way latency \(hub.latency)); last datagram to the old address \(lastToOld.map { "\($0)" } ?? "none") after; \(up.count) + \(down.count) messages delivered by \(hub.now)"
        )
        #expect(switchTime <= .milliseconds(500), "seed \(seed): a retransmission timeout and a round trip")
    }

    // MARK: - Attacks

    /// An on-path attacker copies genuine client packets and races the copies to the server from
    /// a victim's address (in plain mode it may also change them: `forge`).
    static func raceCopies(
        _ mode: SecurityMode?, seed: UInt64, every nth: Int, forge: Bool,
        keepAliveOnly: Bool = false
    ) throws -> (hub: Hub, ratio: Double, sent: Int, received: Int) {
        var configuration = ConnectionConfiguration()
        if keepAliveOnly { configuration.keepAliveInterval = .milliseconds(100) }
        let (hub, id, serverID) = try Self.connected(mode, seed: seed, configuration: configuration)
        var seen = 0
        hub.tap = { datagram, from in
            guard from == Self.client, datagram[1] == PacketType.data.rawValue else { return }
            seen += 1
            guard seen % nth == 0 else { return }
            var copy = datagram
            if forge, mode == nil, let packet = try? Datagram.open(datagram), case .data(let frames) = packet.body {
                // A different datagram with the same packet number and frames, plus PINGs.
                copy = Packet(destination: packet.destination, packetNumber: packet.packetNumber, body: .data(frames + [.ping, .ping]))
                    .serialized()
                Datagram.seal(&copy)
            }
            hub.inject(copy, from: Self.victim)
        }
        let up = keepAliveOnly ? [] : Self.messages(200, seed: seed)
        var sent = 0
        let done = hub.run(for: .seconds(keepAliveOnly ? 3 : 30)) {
            while sent < up.count, (try? hub.client(Self.client).send(up[sent], on: id)) != nil { sent += 1 }
            return !keepAliveOnly && Self.received(hub, at: [Hub.serverAddress]).count == up.count
        }
        if !keepAliveOnly {
            #expect(done, "seed \(seed): \(Self.received(hub, at: [Hub.serverAddress]).count) of \(up.count)")
            let intact = Self.received(hub, at: [Hub.serverAddress]) == up
            #expect(intact, "seed \(seed): every message, intact and in order")
        }
        // The connection keeps working after the attack.
        hub.tap = nil
        try hub.client(Self.client).send([1, 2, 3], on: id)
        #expect(hub.run(for: .seconds(5)) { Self.received(hub, at: [Hub.serverAddress]).last == [1, 2, 3] }, "seed \(seed)")
        #expect(hub.server.address(of: serverID)?.node == Self.client, "seed \(seed): the connection did not move")
        #expect(hub.server.connection(serverID)?.state == .established && hub.closeReason(at: Self.client) == nil)
        #expect(hub.server.statistics.pathMigrations == 0)
        let sentToVictim = hub.sentTo[Self.victim]?.bytes ?? 0
        let receivedFromVictim = hub.receivedFrom[Self.victim]?.bytes ?? 0
        #expect(receivedFromVictim > 0)
        #expect(
            sentToVictim <= 3 * receivedFromVictim,
            "seed \(seed): \(sentToVictim) bytes sent to the victim, \(receivedFromVictim) received from it")
        // Everything sent to the victim was a challenge.
        #expect(hub.serverOutput.filter { $0.to == Self.victim }.allSatisfy { Self.isChallenge($0.datagram, mode) })
        return (hub, Double(sentToVictim) / Double(receivedFromVictim), sentToVictim, receivedFromVictim)
    }

    @Test(
        "spoofed copies of genuine packets raced from a victim's address: at most 3x towards it, the connection neither moves nor stalls",
        arguments: modes)
    func racedCopiesFromAVictim(mode: SecurityMode?) throws {
        for (nth, forge) in [(1, false), (5, false), (3, true)] where mode == nil || !forge {
            let seed: UInt64 = 61 &+ UInt64(nth)
            let (hub, ratio, sent, received) = try Self.raceCopies(mode, seed: seed, every: nth, forge: forge)
            let s = hub.server.statistics
            #expect(s.pathValidationsStarted > 0, "seed \(seed): \(s)")
            // With some packets not raced, the client's next one from its own address ends the validation.
            if nth > 1 { #expect(s.pathValidationsCancelled > 0, "seed \(seed): \(s)") }
            print(
                "amplification towards a spoofed address (\(mode.map { "\($0)" } ?? "plain"), every \(nth)\(nth == 1 ? "st" : "th") client packet \(forge ? "forged" : "copied"), seed \(seed)): \(sent) bytes sent for \(received) received = \(ratio)x; \(s.pathChallengesSent) challenges, \(s.pathChallengesLimited) held back, \(s.pathValidationsStarted) validations started, \(s.pathValidationsCancelled) cancelled"
            )
        }
    }

    @Test("the smallest packets (keep-alives) copied from a victim's address: still at most 3x", arguments: modes)
    func racedKeepAlivesFromAVictim(mode: SecurityMode?) throws {
        let seed: UInt64 = 71
        let (hub, ratio, sent, received) = try Self.raceCopies(mode, seed: seed, every: 1, forge: false, keepAliveOnly: true)
        let s = hub.server.statistics
        print(
            "amplification towards a spoofed address (\(mode.map { "\($0)" } ?? "plain"), copies of keep-alives, seed \(seed)): \(sent) bytes sent for \(received) received = \(ratio)x; \(s.pathChallengesSent) challenges, \(s.pathChallengesLimited) held back"
        )
        #expect(s.pathChallengesSent > 0)
    }

    /// The issue's finding: one spoofed 55-byte datagram made the server send 25,666 bytes to the
    /// victim. Now a forged datagram of s bytes (plain mode, an attacker who knows the IDs, a
    /// packet number ahead of the client's) gets the victim at most min(3 s, three 32-byte
    /// challenges). Not ack-eliciting, so that the server has no reason to acknowledge it within
    /// the run (an acknowledgement of a packet number the client never sent would end the
    /// connection, as any forgery of an on-path attacker may in plain mode).
    @Test("one forged datagram of s bytes from a victim's address: at most min(3 s, 96) bytes towards it", arguments: [32, 55, 1_198])
    func oneSpoofedDatagram(size: Int) throws {
        let seed: UInt64 = 121
        let (hub, _, serverID) = try Self.connected(nil, seed: seed)
        var frames: [Frame] = []
        var room = size - Packet.headerSize - Datagram.trailerSize
        if room % 9 != 0 {
            frames.append(.ack(AckFrame(cumulative: 0, ranges: [])))  // 14 bytes, acknowledges nothing
            room -= 14
        }
        while room >= 9 { frames.append(.maxData(0)); room -= 9 }
        #expect(room == 0)
        var bytes = Packet(destination: serverID, packetNumber: 1_000, body: .data(frames)).serialized()
        Datagram.seal(&bytes)
        #expect(bytes.count == size)
        hub.inject(bytes, from: Self.victim)
        hub.run(for: .seconds(3))
        let sent = hub.sentTo[Self.victim]?.bytes ?? 0
        #expect(sent == min(3 * size / 32, 3) * 32, "seed \(seed): \(sent) bytes for \(size)")
        #expect(hub.server.address(of: serverID)?.node == Self.client && hub.server.statistics.pathMigrations == 0)
        print(
            "one forged \(size)-byte datagram from a victim's address (plain, seed \(seed)): \(sent) bytes sent towards it (\(Double(sent) / Double(size))x), \(hub.server.statistics.pathChallengesLimited) challenge(s) held back; the connection stayed"
        )
    }

    @Test("an unanswered validation re-sends its challenge after 250 ms and 500 ms more, then gives up", arguments: modes)
    func unansweredValidationBacksOffAndGivesUp(mode: SecurityMode?) throws {
        let seed: UInt64 = 81
        let (hub, id, serverID) = try Self.connected(mode, seed: seed)
        var raced = false
        hub.tap = { datagram, from in
            // The first data packet with a message: a copy arrives first from the victim.
            guard !raced, from == Self.client, datagram.count > 200 else { return }
            raced = true
            hub.inject(datagram, from: Self.victim)
        }
        try hub.client(Self.client).send([UInt8](repeating: 7, count: 1_000), on: id)
        #expect(hub.run(for: .seconds(1)) { raced })
        let start = hub.now
        #expect(hub.server.candidateAddress(of: serverID)?.node == Self.victim)
        hub.tap = nil
        hub.run(for: .milliseconds(1_740))
        #expect(
            hub.server.candidateAddress(of: serverID)?.node == Self.victim, "seed \(seed): still waiting for the last challenge's answer")
        hub.run(for: .milliseconds(20))
        #expect(hub.server.candidateAddress(of: serverID) == nil, "seed \(seed): abandoned 1.75 s after the first challenge")
        let times = hub.serverOutput.indices.filter { hub.serverOutput[$0].to == Self.victim }.map { hub.serverOutputTimes[$0] - start }
        #expect(times == [.zero, .milliseconds(250), .milliseconds(750)], "seed \(seed): \(times)")
        let connection = try #require(hub.server.connection(serverID))
        #expect(connection.statistics.pathValidationsAbandoned == 1 && connection.statistics.pathChallengesSent == 3)
        #expect(hub.server.address(of: serverID)?.node == Self.client)
        // Nothing more goes to the victim, and no timer spins (the next wake-up is a real one).
        hub.run(for: .seconds(3))
        #expect(hub.serverOutput.filter { $0.to == Self.victim }.count == 3)
        #expect(hub.server.nextDeadline().map { $0 > hub.now } ?? true)
    }

    @Test(
        "an attacker that relays the challenge to the client cannot move the connection: the answer must come from the candidate",
        arguments: modes)
    func relayedChallengeAnsweredFromTheOldAddressValidatesNothing(mode: SecurityMode?) throws {
        let seed: UInt64 = 91
        let (hub, id, serverID) = try Self.connected(mode, seed: seed)
        var raced = false
        hub.tap = { datagram, from in
            guard !raced, from == Self.client, datagram.count > 200 else { return }
            raced = true
            hub.inject(datagram, from: Self.victim)
        }
        try hub.client(Self.client).send([UInt8](repeating: 7, count: 1_000), on: id)
        #expect(hub.run(for: .seconds(1)) { raced })
        hub.tap = nil
        let challenge = try #require(hub.serverOutput.last { $0.to == Self.victim }).datagram
        // The attacker forwards the challenge to the client, which answers (from its real address).
        let client = hub.client(Self.client)
        client.handle(datagram: challenge, from: PeerAddress(node: Hub.serverAddress), at: hub.now)
        #expect(client.connection(id)?.statistics.pathChallengesReceived == 1)
        hub.run(for: .seconds(1))
        #expect(client.connection(id)?.statistics.pathResponsesSent == 1)
        let s = hub.server.statistics
        #expect(s.pathResponsesFromOtherAddresses == 1, "seed \(seed): \(s)")
        #expect(s.pathMigrations == 0 && hub.server.address(of: serverID)?.node == Self.client)
        #expect(hub.server.candidateAddress(of: serverID) == nil, "the client's newest packet from its address ends the validation")
    }

    @Test("a second address racing copies of a third of a legitimate rebinding's packets delays it, cannot prevent it", arguments: modes)
    func racedRebindingStillCompletes(mode: SecurityMode?) throws {
        for seed: UInt64 in 101...106 {
            let (hub, id, serverID) = try Self.connected(mode, seed: seed)
            var generator = SeededGenerator(seed: seed)
            hub.tap = { datagram, from in
                // A third of the client's packets: a copy from another address wins the race.
                guard from == Self.moved, datagram[1] == PacketType.data.rawValue, generator.next() % 3 == 0 else { return }
                hub.inject(datagram, from: Self.victim)
            }
            let up = Self.messages(200, seed: seed)
            var sent = 0
            hub.run(for: .milliseconds(50)) {
                while sent < up.count, (try? hub.client(Self.client).send(up[sent], on: id)) != nil { sent += 1 }
                return false
            }
            let rebindAt = hub.now
            hub.rebind(Self.client, to: Self.moved)
            var movedAt: Timestamp?
            let done = hub.run(for: .seconds(30)) {
                while sent < up.count, (try? hub.client(Self.moved).send(up[sent], on: id)) != nil { sent += 1 }
                if movedAt == nil && hub.server.address(of: serverID)?.node == Self.moved { movedAt = hub.now }
                return Self.received(hub, at: [Hub.serverAddress]).count == up.count && movedAt != nil
            }
            let s = hub.server.statistics
            #expect(
                done,
                "seed \(seed): \(Self.received(hub, at: [Hub.serverAddress]).count) of \(up.count), at \(String(describing: hub.server.address(of: serverID))); \(s)"
            )
            let intact = Self.received(hub, at: [Hub.serverAddress]) == up
            #expect(intact, "seed \(seed)")
            #expect(s.pathMigrations == 1, "seed \(seed): moved once, to the client, never to the racing address: \(s)")
            let sentToVictim = hub.sentTo[Self.victim]?.bytes ?? 0, fromVictim = hub.receivedFrom[Self.victim]?.bytes ?? 0
            #expect(sentToVictim <= 3 * fromVictim)
            print(
                "raced rebinding (\(mode.map { "\($0)" } ?? "plain"), seed \(seed)): moved after \(movedAt.map { "\($0 - rebindAt)" } ?? "never"); \(s.pathValidationsStarted) validations, \(s.pathValidationsCancelled) replaced or cancelled, \(s.pathResponsesFromOtherAddresses) answers from the wrong address; \(sentToVictim) bytes to the racing address for \(fromVictim)"
            )
        }
    }

    @Test("off-path datagrams from a candidate or victim address during a validation change nothing")
    func offPathDatagramsChangeNothing() throws {
        for mode in Self.modes {
            let seed: UInt64 = 111
            let (hub, id, serverID) = try Self.connected(mode, seed: seed)
            var raced = false
            hub.tap = { datagram, from in
                guard !raced, from == Self.client, datagram.count > 200 else { return }
                raced = true
                hub.inject(datagram, from: Self.victim)
            }
            try hub.client(Self.client).send([UInt8](repeating: 7, count: 1_000), on: id)
            #expect(hub.run(for: .seconds(1)) { raced })
            hub.tap = nil
            // Guessed IDs, garbage, and responses with guessed data, from the candidate address.
            var generator = SeededGenerator(seed: seed)
            for i in 0..<2_000 {
                let destination = i % 2 == 0 ? ConnectionID(generator.next() | 1) : serverID
                var bytes = Packet(
                    destination: destination, packetNumber: 1_000_000 + UInt64(i),
                    body: .data([.pathResponse(generator.next())])
                ).serialized()
                if mode == nil {
                    if i % 4 == 1 { bytes = Array(bytes.dropLast(1)) }  // broken: does not parse
                    Datagram.seal(&bytes)
                } else {
                    bytes += (0..<Packet.protectionTagSize).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
                }
                if mode == nil && destination == serverID && i % 4 != 1 { continue }  // a forgery with the ID is on-path, not off-path
                hub.inject(bytes, from: Self.victim)
            }
            #expect(hub.server.address(of: serverID)?.node == Self.client && hub.server.statistics.pathMigrations == 0)
            try hub.client(Self.client).send([9], on: id)
            #expect(hub.run(for: .seconds(3)) { Self.received(hub, at: [Hub.serverAddress]).last == [9] }, "seed \(seed)")
            #expect(hub.server.connection(serverID)?.state == .established)
            #expect((hub.sentTo[Self.victim]?.bytes ?? 0) <= 3 * (hub.receivedFrom[Self.victim]?.bytes ?? 0))
        }
    }

    // MARK: - What the switch keeps

    @Test("a port-only move (NAT rebinding) keeps the congestion window; a new host restarts it")
    func congestionStateAtTheSwitch() throws {
        let serverAddress = PeerAddress(ipv4: 0x0A00_0063, port: 443)
        let client = Endpoint(configuration: EndpointConfiguration(), randomness: SeededGenerator(seed: 141))
        let server = Endpoint(configuration: EndpointConfiguration(acceptsConnections: true), randomness: SeededGenerator(seed: 142))
        var clientAddress = PeerAddress(ipv4: 0x0A00_0001, port: 1_000)
        var now = Timestamp.zero
        func pump() {
            var progressed = true
            while progressed {
                progressed = false
                now = now + .milliseconds(1)
                while let (d, _) = client.pollTransmit(at: now) {
                    server.handle(datagram: d, from: clientAddress, at: now); progressed = true
                }
                while let (d, to) = server.pollTransmit(at: now) {
                    if to == clientAddress { client.handle(datagram: d, from: serverAddress, at: now) }
                    progressed = true
                }
                while client.pollEventConsuming() != nil {}
                while server.pollEventConsuming() != nil {}
            }
        }
        let id = client.connect(to: serverAddress, at: now)
        pump()
        let serverID = try #require(server.connectionIDs.first)
        for message in Self.messages(60, seed: 143) { try server.send(message, on: serverID) }
        pump()
        let connection = try #require(server.connection(serverID))
        let initial = ConnectionConfiguration().congestionControllerFactory(1_200).window
        let grown = connection.statistics.congestionWindow
        #expect(grown > initial && connection.statistics.bytesInFlight == 0)

        clientAddress = PeerAddress(ipv4: 0x0A00_0001, port: 2_000)  // the NAT rebinds: same host, new port
        try client.send([1], on: id)
        pump()
        #expect(server.address(of: serverID) == clientAddress && server.statistics.pathMigrations == 1)
        #expect(connection.statistics.congestionWindow == grown, "a port change keeps the window")

        clientAddress = PeerAddress(ipv4: 0x0A00_0002, port: 2_000)  // another host
        try client.send([2], on: id)
        pump()
        #expect(server.address(of: serverID) == clientAddress && server.statistics.pathMigrations == 2)
        #expect(connection.statistics.congestionWindow == initial, "a new host restarts from the initial window")
        #expect(connection.statistics.smoothedRTT > 0, "the RTT estimate is kept")
    }

    // MARK: - Pieces

    @Test func challengeIntervalsDoubleUpToTheMaximumRTO() {
        let base: UInt64 = 250_000_000
        #expect(PathValidation.interval(after: 1, base: base, maximum: 60_000_000_000) == base)
        #expect(PathValidation.interval(after: 3, base: base, maximum: 60_000_000_000) == 4 * base)
        #expect(PathValidation.interval(after: 16, base: base, maximum: 60_000_000_000) == 60_000_000_000)
        #expect(PathValidation.interval(after: 60, base: .max / 2, maximum: .max) == .max)
    }

    @Test func pathChallengeAttemptsAreValidated() {
        var configuration = ConnectionConfiguration()
        for (attempts, valid) in [(0, false), (1, true), (3, true), (16, true), (17, false)] {
            configuration.pathChallengeAttempts = attempts
            #expect((configuration.validate() == nil) == valid, "\(attempts)")
        }
    }
}
