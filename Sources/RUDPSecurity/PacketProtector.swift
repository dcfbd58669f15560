import CSodium
import RUDPWire

/// Protects the packets of one connection in one direction (`Specs/SECURITY.md`, "Packet
/// protection"): a connection holds one protector to seal what it sends and one to open what it
/// receives.
///
/// A protected datagram is `header (19) || payload' || trailer`:
/// - ``SecurityMode/none``: payload in clear and the 4-byte CRC-32C trailer of
///   `RUDPWire.Datagram`; no libsodium call, no replay window (the engine's own duplicate
///   detection applies).
/// - ``SecurityMode/authenticated``: payload in clear; trailer = the 16-byte tag of
///   ChaCha20-Poly1305-IETF over an empty plaintext with associated data `header || payload`.
/// - ``SecurityMode/encrypted``: payload encrypted with ChaCha20-Poly1305-IETF, associated data
///   `header`; trailer = the 16-byte tag.
///
/// The nonce is `direction (4 bytes, big-endian) || packet number (8 bytes, big-endian)`, and the
/// key belongs to one connection and direction, so a nonce never repeats: ``seal(header:payload:packetNumber:)``
/// refuses a packet number that is not larger than the last one sealed, and any number from 2^62
/// on (``SecurityError/keyExhausted``). ``open(datagram:)`` checks the packet number against a
/// ``ReplayWindow`` before any cryptography and records it only after the tag verified.
///
/// ```swift
/// let keys = try KeySchedule.sessionKeys(psk: psk, clientRandom: c, serverRandom: s,
///                                        clientConnectionID: clientID, serverConnectionID: serverID)
/// let (outgoing, incoming) = try PacketProtector.pair(mode: .encrypted, keys: keys, isClient: true)
///
/// var bytes = packet.serialized()
/// try outgoing.sealInPlace(&bytes)              // bytes is now the datagram to send
///
/// var received = datagramFromTheSocket
/// try incoming.openInPlace(&received)           // throws for forged, corrupted or replayed ones
/// let packet = try Packet.parse(received)
/// ```
///
/// Not thread-safe: use each protector from one thread (the connection's event loop) at a time.
public final class PacketProtector {
    /// Size of the authentication tag in bytes.
    public static let tagSize = Int(crypto_aead_chacha20poly1305_ietf_ABYTES)
    /// Size of the nonce in bytes.
    static let nonceSize = Int(crypto_aead_chacha20poly1305_ietf_NPUBBYTES)

    /// How packets are protected.
    public let mode: SecurityMode
    /// The direction this protector's packets travel in.
    public let direction: PacketDirection
    /// The packet key; nil in mode `none`.
    private let key: SecretKey?
    /// The largest packet number sealed so far.
    public private(set) var lastSealed: UInt64?
    /// The packet numbers opened so far (not used in mode `none`).
    public private(set) var replayWindow = ReplayWindow()

    /// A protector in `mode` using `key` for packets travelling in `direction`. In mode
    /// ``SecurityMode/none`` the key is not used.
    public init(mode: SecurityMode, key: SecretKey, direction: PacketDirection) {
        self.mode = mode
        self.direction = direction
        self.key = mode == .none ? nil : key
    }

    /// A protector in mode ``SecurityMode/none``: CRC-32C trailer only.
    public init(unprotected direction: PacketDirection) {
        self.mode = .none
        self.direction = direction
        self.key = nil
    }

    /// The two protectors of one endpoint of a connection: `outgoing` seals what it sends,
    /// `incoming` opens what it receives. `keys` may be nil only in mode `none`.
    public static func pair(mode: SecurityMode, keys: SessionKeys?, isClient: Bool) throws(SecurityError)
        -> (outgoing: PacketProtector, incoming: PacketProtector)
    {
        let outgoing = PacketDirection.outgoing(isClient: isClient)
        let incoming = PacketDirection.incoming(isClient: isClient)
        if mode == .none {
            return (PacketProtector(unprotected: outgoing), PacketProtector(unprotected: incoming))
        }
        guard let keys else { throw .missingKey(reason: "security mode \(mode) needs session keys") }
        return (
            PacketProtector(mode: mode, key: keys.key(for: outgoing), direction: outgoing),
            PacketProtector(mode: mode, key: keys.key(for: incoming), direction: incoming)
        )
    }

    /// Bytes a datagram carries beyond its packet (4 in mode `none`, 16 otherwise).
    public var overhead: Int { mode.overhead }

    // MARK: sealing

    /// The datagram for a packet: `header` (exactly 19 bytes, whose packet number field must
    /// equal `packetNumber`), `payload` (encrypted in mode `encrypted`) and the trailer.
    public func seal(header: [UInt8], payload: [UInt8], packetNumber: UInt64) throws(SecurityError) -> [UInt8] {
        guard header.count == Packet.headerSize else {
            throw .invalidHeader(reason: "the header is \(header.count) bytes, not \(Packet.headerSize)")
        }
        let inHeader = Self.packetNumber(in: header)
        guard inHeader == packetNumber else {
            throw .invalidHeader(reason: "the header carries packet number \(inHeader), not \(packetNumber)")
        }
        var datagram: [UInt8] = []
        datagram.reserveCapacity(header.count + payload.count + overhead)
        datagram.append(contentsOf: header)
        datagram.append(contentsOf: payload)
        try sealInPlace(&datagram)
        return datagram
    }

    /// Turns an encoded packet (its 19-byte header followed by its payload) into the datagram
    /// to send, in place; the packet number is read from the header.
    public func sealInPlace(_ packet: inout [UInt8]) throws(SecurityError) {
        guard packet.count >= Packet.headerSize else {
            throw .invalidHeader(reason: "a packet is at least \(Packet.headerSize) bytes, got \(packet.count)")
        }
        guard packet.count + overhead <= Packet.maximumDatagramSize else {
            throw .oversize(size: packet.count + overhead)
        }
        let pn = Self.packetNumber(in: packet)
        guard pn < Packet.packetNumberLimit else { throw .keyExhausted }
        if let lastSealed, pn <= lastSealed {
            throw .packetNumberNotIncreasing(packetNumber: pn, lastSealed: lastSealed)
        }
        lastSealed = pn
        guard let key else {
            Datagram.seal(&packet)
            return
        }
        let bodyCount = packet.count
        packet.append(contentsOf: repeatElement(0, count: Self.tagSize))
        let mode = self.mode
        withNonce(pn) { nonce in
            packet.withUnsafeMutableBytes { raw in
                let base = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
                let tag = base + bodyCount
                if mode == .authenticated {
                    // Empty plaintext: the scratch byte only gives libsodium non-null pointers.
                    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1) { scratch in
                        _ = crypto_aead_chacha20poly1305_ietf_encrypt_detached(
                            scratch.baseAddress!, tag, nil, scratch.baseAddress!, 0,
                            base, UInt64(bodyCount), nil, nonce, key.unsafePointer)
                    }
                } else {
                    let payload = base + Packet.headerSize
                    _ = crypto_aead_chacha20poly1305_ietf_encrypt_detached(
                        payload, tag, nil, payload, UInt64(bodyCount - Packet.headerSize),
                        base, UInt64(Packet.headerSize), nil, nonce, key.unsafePointer)
                }
            }
        }
    }

    // MARK: opening

    /// Verifies a received datagram and returns its header and (decrypted) payload.
    ///
    /// Throws ``SecurityError/replayed(packetNumber:)`` or ``SecurityError/tooOld(packetNumber:)``
    /// before any cryptography, ``SecurityError/authenticationFailed`` if the tag does not match;
    /// only a datagram that verified moves the replay window.
    public func open(datagram: [UInt8]) throws(SecurityError) -> (header: [UInt8], payload: [UInt8]) {
        var bytes = datagram
        try openInPlace(&bytes)
        return (Array(bytes[0..<Packet.headerSize]), Array(bytes[Packet.headerSize...]))
    }

    /// Verifies a received datagram and turns it into the packet bytes (header followed by the
    /// decrypted payload) in place, ready for `Packet.parse`. After an error the contents of
    /// `datagram` are unspecified; drop it.
    public func openInPlace(_ datagram: inout [UInt8]) throws(SecurityError) {
        guard datagram.count <= Packet.maximumDatagramSize else { throw .oversize(size: datagram.count) }
        let minimum = Packet.headerSize + overhead
        guard datagram.count >= minimum else { throw .truncated(size: datagram.count, minimum: minimum) }
        guard let key else {
            let valid = datagram.withUnsafeBytes { raw in
                (try? Datagram.verify(raw)) != nil
            }
            guard valid else { throw .checksumMismatch }
            datagram.removeLast(Datagram.trailerSize)
            return
        }
        let pn = Self.packetNumber(in: datagram)
        guard pn < Packet.packetNumberLimit else { throw .invalidPacketNumber }
        switch replayWindow.status(of: pn) {
        case .fresh: break
        case .duplicate: throw .replayed(packetNumber: pn)
        case .tooOld: throw .tooOld(packetNumber: pn)
        }
        let bodyCount = datagram.count - Self.tagSize
        let mode = self.mode
        let verified = withNonce(pn) { nonce in
            datagram.withUnsafeMutableBytes { raw in
                let base = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
                let tag = UnsafePointer(base + bodyCount)
                if mode == .authenticated {
                    return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1) { scratch in
                        crypto_aead_chacha20poly1305_ietf_decrypt_detached(
                            scratch.baseAddress!, nil, scratch.baseAddress!, 0, tag,
                            base, UInt64(bodyCount), nonce, key.unsafePointer) == 0
                    }
                } else {
                    let payload = base + Packet.headerSize
                    return crypto_aead_chacha20poly1305_ietf_decrypt_detached(
                        payload, nil, payload, UInt64(bodyCount - Packet.headerSize), tag,
                        base, UInt64(Packet.headerSize), nonce, key.unsafePointer) == 0
                }
            }
        }
        guard verified else { throw .authenticationFailed }
        replayWindow.accept(pn)
        datagram.removeLast(Self.tagSize)
    }

    /// Verifies a received datagram, read from the caller's memory, and writes the packet bytes
    /// (header followed by the decrypted payload) into `packet` (room for `datagram.count` bytes,
    /// not overlapping `datagram`); returns their count. The checks, errors and replay-window
    /// update of ``openInPlace(_:)``, without an array; after an error the contents of `packet`
    /// are unspecified.
    public func open(_ datagram: UnsafeRawBufferPointer, into packet: UnsafeMutableRawBufferPointer) throws(SecurityError) -> Int {
        guard datagram.count <= Packet.maximumDatagramSize else { throw .oversize(size: datagram.count) }
        let minimum = Packet.headerSize + overhead
        guard datagram.count >= minimum else { throw .truncated(size: datagram.count, minimum: minimum) }
        precondition(packet.count >= datagram.count, "PacketProtector.open(_:into:): the output buffer is too small")
        let source = datagram.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let output = packet.baseAddress!.assumingMemoryBound(to: UInt8.self)
        guard let key else {
            guard (try? Datagram.verify(datagram)) != nil else { throw .checksumMismatch }
            let count = datagram.count - Datagram.trailerSize
            output.update(from: source, count: count)
            return count
        }
        var pn: UInt64 = 0
        for i in 11..<Packet.headerSize { pn = pn << 8 | UInt64(source[i]) }
        guard pn < Packet.packetNumberLimit else { throw .invalidPacketNumber }
        switch replayWindow.status(of: pn) {
        case .fresh: break
        case .duplicate: throw .replayed(packetNumber: pn)
        case .tooOld: throw .tooOld(packetNumber: pn)
        }
        let bodyCount = datagram.count - Self.tagSize
        let mode = self.mode
        let verified = withNonce(pn) { nonce in
            let tag = source + bodyCount
            if mode == .authenticated {
                return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1) { scratch in
                    guard
                        crypto_aead_chacha20poly1305_ietf_decrypt_detached(
                            scratch.baseAddress!, nil, scratch.baseAddress!, 0, tag,
                            source, UInt64(bodyCount), nonce, key.unsafePointer) == 0
                    else { return false }
                    output.update(from: source, count: bodyCount)
                    return true
                }
            } else {
                output.update(from: source, count: Packet.headerSize)
                return crypto_aead_chacha20poly1305_ietf_decrypt_detached(
                    output + Packet.headerSize, nil, source + Packet.headerSize, UInt64(bodyCount - Packet.headerSize), tag,
                    source, UInt64(Packet.headerSize), nonce, key.unsafePointer) == 0
            }
        }
        guard verified else { throw .authenticationFailed }
        replayWindow.accept(pn)
        return bodyCount
    }

    // MARK: helpers

    /// The big-endian packet number at bytes 11 ..< 19 of a header.
    static func packetNumber(in bytes: [UInt8]) -> UInt64 {
        var pn: UInt64 = 0
        for i in 11..<Packet.headerSize { pn = pn << 8 | UInt64(bytes[i]) }
        return pn
    }

    /// Calls `body` with the nonce `direction (4, big-endian) || pn (8, big-endian)`.
    private func withNonce<Result>(_ pn: UInt64, _ body: (UnsafePointer<UInt8>) -> Result) -> Result {
        let direction = self.direction.rawValue
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.nonceSize) { nonce in
            for i in 0..<4 { nonce[i] = UInt8(truncatingIfNeeded: direction >> UInt32(24 - 8 * i)) }
            for i in 0..<8 { nonce[4 + i] = UInt8(truncatingIfNeeded: pn >> UInt64(56 - 8 * i)) }
            return body(UnsafePointer(nonce.baseAddress!))
        }
    }
}
