import RUDPCore
import RUDPWire

/// A seeded adversary on the simulated path: it sees every datagram before the receiving node
/// does (through ``AttackedNode``), records them, and adds replays, random bytes, forgeries and
/// bit-flipped copies, sometimes from spoofed addresses, sometimes withholding the original.
///
/// It never has the key: a secure connection must drop everything it adds, deliver nothing it
/// made up or corrupted, and still complete the real transfer.
///
/// ```swift
/// let attacker = NetworkAttacker(options: AttackOptions(seed: 3))
/// let server = simulator.addNode(AttackedNode(serverNode, attacker: attacker))
/// // ... run ...
/// print(attacker.statistics)
/// ```
public final class NetworkAttacker {
    /// The probabilities and the seed.
    public let options: AttackOptions
    /// What it did so far.
    public private(set) var statistics = AttackStatistics()
    private var rng: SeededGenerator
    private var history: [[UInt8]] = []
    private var connectTemplate: [UInt8]?
    private var nextForgery = 0
    /// Whether the attacker may withhold originals (act as loss). Turned off when the network
    /// heals, so that liveness can be checked; injections go on.
    public var withholdsOriginals = true

    /// An attacker with `options`.
    public init(options: AttackOptions) {
        self.options = options
        self.rng = SeededGenerator(seed: options.seed)
    }

    /// Interferes with one real datagram travelling from `source`: calls `deliver` for every
    /// datagram the receiver gets instead (its own additions first, then usually the original).
    public func interfere(with datagram: [UInt8], from source: SimulatedAddress, deliver: ([UInt8], SimulatedAddress) -> Void) {
        statistics.observed += 1
        record(datagram)
        if rng.chance(options.replayProbability), !history.isEmpty {
            statistics.replayed += 1
            deliver(history[Int(rng.next() % UInt64(history.count))], spoofed(source))
        }
        if rng.chance(options.randomInjectionProbability) {
            statistics.randomInjected += 1
            deliver(randomDatagram(like: datagram), spoofed(source))
        }
        if rng.chance(options.forgeryProbability) {
            statistics.forged += 1
            deliver(forgery(basedOn: datagram), spoofed(source))
        }
        var deliverOriginal = true
        if rng.chance(options.tamperProbability) {
            statistics.tampered += 1
            var copy = datagram
            for _ in 0...(rng.next() % 3) {
                let bit = Int(rng.next() % UInt64(copy.count * 8))
                copy[bit / 8] ^= UInt8(1 << (bit % 8))
            }
            deliver(copy, source)
            if rng.chance(options.withholdTamperedOriginalProbability) && withholdsOriginals {
                statistics.withheld += 1
                deliverOriginal = false
            }
        }
        if deliverOriginal { deliver(datagram, source) }
    }

    private func record(_ datagram: [UInt8]) {
        if datagram.count == Packet.protectedConnectDatagramSize && datagram[1] == PacketType.connect.rawValue {
            connectTemplate = datagram
        }
        if history.count < options.historyLimit {
            history.append(datagram)
        } else {
            history[Int(rng.next() % UInt64(history.count))] = datagram
        }
    }

    private func spoofed(_ source: SimulatedAddress) -> SimulatedAddress {
        guard rng.chance(options.spoofProbability) else { return source }
        statistics.spoofed += 1
        return SimulatedAddress(node: 1000 + Int(rng.next() % 8))
    }

    private func randomBytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: rng.next()) }
        return bytes
    }

    /// Random bytes; half the time behind the real datagram's first 11 bytes (version, type,
    /// flags, destination), so they reach the connection's verification.
    private func randomDatagram(like datagram: [UInt8]) -> [UInt8] {
        var bytes = randomBytes(1 + Int(rng.next() % 1400))
        if rng.next() % 2 == 0 && bytes.count > 11 && datagram.count >= 11 {
            bytes.replaceSubrange(0..<11, with: datagram[0..<11])
        }
        return bytes
    }

    private func header(of datagram: [UInt8], type: PacketType? = nil, packetNumber: UInt64? = nil) -> [UInt8] {
        var header =
            datagram.count >= Packet.headerSize ? Array(datagram[0..<Packet.headerSize]) : [UInt8](repeating: 1, count: Packet.headerSize)
        if let type { header[1] = type.rawValue }
        if let pn = packetNumber {
            for i in 0..<8 { header[11 + i] = UInt8(truncatingIfNeeded: pn >> UInt64(56 - 8 * i)) }
        }
        return header
    }

    private func packetNumber(of datagram: [UInt8]) -> UInt64 {
        guard datagram.count >= Packet.headerSize else { return 0 }
        var pn: UInt64 = 0
        for i in 11..<Packet.headerSize { pn = pn << 8 | UInt64(datagram[i]) }
        return pn
    }

    /// A well-formed packet the attacker cannot authenticate, one kind after the other.
    private func forgery(basedOn datagram: [UInt8]) -> [UInt8] {
        nextForgery += 1
        let pn = packetNumber(of: datagram)
        let tag = Packet.protectionTagSize
        switch nextForgery % 7 {
        case 0:
            // Fresh packet number, random frames and tag.
            return header(of: datagram, type: .data, packetNumber: pn &+ 1 &+ rng.next() % 2000) + randomBytes(1 + Int(rng.next() % 1100))
                + randomBytes(tag)
        case 1:
            // A far-future packet number (would move a naive replay window).
            return header(of: datagram, type: .data, packetNumber: (1 << 61) + rng.next() % 1000)
                + Array(datagram.dropFirst(Packet.headerSize))
        case 2:
            // A plain CLOSE in clear to the connection, with a valid checksum.
            let destination = ConnectionID(datagram.count >= 11 ? datagram[3..<11].reduce(0) { $0 << 8 | UInt64($1) } : 1)
            let codes: [CloseCode] = [.aborted, .securityRequired, .protocolViolation, .normal]
            var close = Packet(
                destination: destination == .none ? ConnectionID(1) : destination, packetNumber: pn &+ 1,
                body: .data([.close(CloseFrame(code: codes[Int(rng.next() % 4)], reason: "forged"))])
            ).serialized()
            Datagram.seal(&close)
            return close
        case 3:
            // A CONNECT shaped like the real one (parameters, length) with a made-up random and tag.
            guard var connect = connectTemplate else { return randomDatagram(like: datagram) }
            let randomAt = Packet.headerSize + TransportParameters.encodedSize
            connect.replaceSubrange(randomAt..<(randomAt + 32), with: randomBytes(32))
            connect.replaceSubrange((connect.count - tag)..<connect.count, with: randomBytes(tag))
            return connect
        case 4:
            // A RETRY with a made-up cookie and tag.
            return header(of: datagram, type: .retry, packetNumber: 0) + [24] + randomBytes(24) + randomBytes(tag)
        case 5:
            // An ACCEPT with made-up parameters, random and tag.
            var params = TransportParameters(sourceConnectionID: ConnectionID(rng.next() | 1)).serializedForForgery()
            params += randomBytes(Packet.handshakeRandomSize)
            return header(of: datagram, type: .accept, packetNumber: 0) + params + randomBytes(tag)
        default:
            // The real datagram with its packet number changed (the header is authenticated).
            return header(of: datagram, packetNumber: pn &+ 1) + Array(datagram.dropFirst(Packet.headerSize))
        }
    }
}

private extension TransportParameters {
    /// The 27-byte encoding (through a whole ACCEPT, whose header is then cut off).
    func serializedForForgery() -> [UInt8] {
        Array(Packet(destination: ConnectionID(1), packetNumber: 0, body: .accept(self)).serialized().dropFirst(Packet.headerSize))
    }
}
