import RUDPSecurity
import RUDPWire

/// Runs one security fuzz program (see ``SecurityFuzzer``): a sender ``PacketProtector`` and a
/// receiver under attack, sharing the fixed test key, plus a ``CookieIssuer``, two
/// ``HandshakeAuthenticator``s and a separate ``ReplayWindow``, each compared after every
/// operation with an obviously correct model.
final class SecurityFuzzHarness<Receiver: SecurityFuzzReceiver> {
    /// Operations executed at most per program.
    static var maximumOperations: Int { 512 }
    /// Cookies and handshake tags remembered at most (more are not issued).
    static var maximumRecords: Int { 256 }

    /// A datagram the sender sealed.
    struct Sealed {
        let datagram: [UInt8]
        let packetNumber: UInt64
        let header: [UInt8]
        let payload: [UInt8]
    }

    /// A cookie the issuer made, with the secret generation it was made under.
    struct IssuedCookie {
        let bytes: [UInt8]
        let address: [UInt8]
        let clientConnectionID: ConnectionID
        let generation: Int
    }

    /// A handshake tag computed by authenticator `key`.
    struct Tag {
        let key: Int
        let message: [UInt8]
        let tag: [UInt8]
    }

    /// What opening a datagram must do.
    enum Expectation {
        /// Open and give back what the sender sealed.
        case opens(Sealed)
        /// Open (mode `none`, valid CRC) and give back these bytes.
        case opensUnprotected(header: [UInt8], payload: [UInt8])
        /// Throw exactly this error.
        case refused(SecurityError)
    }

    let mode: SecurityMode
    let direction: PacketDirection
    let keys = SecurityFuzzKeys.shared
    let sender: PacketProtector
    let receiver: Receiver
    /// The destination connection ID of the packets (the receiver's).
    let destination: ConnectionID

    var senderLast: UInt64?
    var model = ReplayWindowModel()
    var sealed: [Sealed] = []
    var genuine: [[UInt8]: Int] = [:]

    var separateWindow = ReplayWindow()
    var separateModel = ReplayWindowModel()

    let cookies: CookieIssuer
    let lifetime: UInt64
    let rotationInterval: UInt64
    var now: UInt64
    var generation = 0
    var rotatedAt: UInt64
    var issued: [IssuedCookie] = []

    let authenticators: [HandshakeAuthenticator]
    /// The engine's handshake hooks over the same keys.
    let connectHooks: PSKHandshakeSecurity
    let sessionHooks: SessionProtection
    var handshakeKeyDiscarded = false
    var tags: [Tag] = []

    var report = SecurityFuzzReport()
    var operationIndex = 0

    /// Reads the program header from `input` and sets up both sides.
    init(header input: inout FuzzInput, makeReceiver: (SecurityMode, SecretKey, PacketDirection) -> Receiver) {
        mode = SecurityFuzzProgram.mode(input.readByte())
        let options = input.readByte()
        let receiverIsServer = options & 1 != 0
        direction = PacketDirection.incoming(isClient: !receiverIsServer)
        destination = receiverIsServer ? keys.serverConnectionID : keys.clientConnectionID
        let key = keys.session.key(for: direction)
        sender = PacketProtector(mode: mode, key: key, direction: direction)
        receiver = makeReceiver(mode, key, direction)

        lifetime = SecurityFuzzProgram.cookieLifetimes[Int(options >> 1) & 7]
        let requestedInterval = SecurityFuzzProgram.cookieRotationInterval(choice: Int(options >> 4), lifetime: lifetime)
        let (doubled, overflow) = lifetime.multipliedReportingOverflow(by: 2)
        rotationInterval = max(requestedInterval ?? (overflow ? .max : doubled), lifetime)
        now = SecurityFuzzProgram.startTimes[Int(options >> 6)]
        rotatedAt = now
        cookies = CookieIssuer(secret: keys.foreign.handshake, at: now, lifetime: lifetime, rotationInterval: requestedInterval)
        authenticators = [HandshakeAuthenticator(key: keys.connect), HandshakeAuthenticator(key: keys.session.handshake)]
        do {
            let psk = try PreSharedKey(hexEncoded: SecurityFuzzKeys.pskHex, source: "the fuzz test key")
            connectHooks = try PSKHandshakeSecurity(
                configuration: SecurityConfiguration(mode: .encrypted, key: psk), randomness: .seeded(1))
            sessionHooks = try SessionProtection(mode: .encrypted, keys: keys.session, isClient: !receiverIsServer)
        } catch {
            preconditionFailure("SecurityFuzzHarness: cannot set up the engine hooks with the test key: \(error)")
        }
    }

    /// Runs the operations in `input`, then compares the whole windows with their models.
    func run(_ input: inout FuzzInput) throws(FuzzViolation) {
        if cookies.rotationInterval != rotationInterval {
            throw fail(
                "the cookie issuer rotates every \(cookies.rotationInterval) ns, expected \(rotationInterval) (lifetime \(lifetime))")
        }
        while !input.isExhausted && report.operations < Self.maximumOperations {
            let count = UInt8(SecurityFuzzOperation.allCases.count)
            let operation = SecurityFuzzOperation(rawValue: input.readByte() % count)!
            operationIndex = report.operations
            report.operations += 1
            try perform(operation, &input)
        }
        try compareWholeWindows()
    }

    private func perform(_ operation: SecurityFuzzOperation, _ input: inout FuzzInput) throws(FuzzViolation) {
        switch operation {
        case .seal: try seal(&input)
        case .deliver:
            let index = Int(input.readByte())
            guard !sealed.isEmpty else { return }
            let packet = sealed[index % sealed.count]
            try deliver(packet.datagram, what: "sealed packet number \(packet.packetNumber)")
        case .deliverMutated: try deliverMutated(&input)
        case .deliverArbitrary:
            let length = Int(input.readUInt16())
            let bytes: [UInt8]
            if length >= 0xF000 {
                let size = SecurityFuzzProgram.specialDatagramSizes[(length - 0xF000) % SecurityFuzzProgram.specialDatagramSizes.count]
                bytes = [UInt8](repeating: input.readByte(), count: size)
            } else {
                bytes = input.readBytes(length % 2048)
            }
            try deliver(bytes, what: "arbitrary datagram")
        case .deliverWithNumber:
            let pn = SecurityFuzzProgram.packetNumber(&input, base: model.highest)
            let body = input.readBytes(Int(input.readByte()))
            try deliver(header(packetNumber: pn) + body, what: "datagram with packet number \(pn) and an invented body")
        case .deliverForged: try deliverForged(&input)
        case .queryWindow:
            let pn = SecurityFuzzProgram.packetNumber(&input, base: model.highest)
            try compareWindow(around: pn)
        case .sealMisuse: try sealMisuse(&input)
        case .windowAccept: try windowAccept(&input)
        case .advanceTime: advanceTime(&input)
        case .issueCookie: try issueCookie(&input)
        case .verifyCookie: try verifyCookie(&input)
        case .rotateCookieSecret:
            cookies.rotate(at: now)
            generation += 1
            rotatedAt = now
        case .handshakeTag: try handshakeTag(&input)
        case .handshakeVerify: try handshakeVerify(&input)
        }
    }

    func fail(_ message: String) -> FuzzViolation {
        FuzzViolation("\(mode) mode, \(direction): \(message)", operationIndex: operationIndex)
    }

    private func refused(_ error: SecurityError) {
        report.refusals[error.name, default: 0] += 1
    }

    // MARK: packets

    /// A DATA header for the receiver's connection carrying `packetNumber`.
    func header(packetNumber: UInt64) -> [UInt8] {
        var header: [UInt8] = [Packet.version, PacketType.data.rawValue, 0]
        header.reserveCapacity(Packet.headerSize)
        appendBigEndian(destination.rawValue, to: &header)
        appendBigEndian(packetNumber, to: &header)
        return header
    }

    private func readPayload(_ input: inout FuzzInput) -> [UInt8] {
        let size = input.readByte()
        if size < 0xF0 { return input.readBytes(Int(size)) }
        let large = SecurityFuzzProgram.largePayloadSizes[Int(size - 0xF0)]
        return [UInt8](repeating: input.readByte(), count: large)
    }

    private func seal(_ input: inout FuzzInput) throws(FuzzViolation) {
        let pn = SecurityFuzzProgram.packetNumber(&input, base: senderLast)
        let payload = readPayload(&input)
        let header = header(packetNumber: pn)
        let size = header.count + payload.count + mode.overhead
        let expected: SecurityError?
        if size > Packet.maximumDatagramSize {
            expected = .oversize(size: size)
        } else if pn >= Packet.packetNumberLimit {
            expected = .keyExhausted
        } else if let last = senderLast, pn <= last {
            expected = .packetNumberNotIncreasing(packetNumber: pn, lastSealed: last)
        } else {
            expected = nil
        }
        let result = Result { () throws(SecurityError) -> [UInt8] in
            try sender.seal(header: header, payload: payload, packetNumber: pn)
        }
        switch (result, expected) {
        case (.success(let datagram), nil):
            if datagram.count != size {
                throw fail(
                    "sealing packet number \(pn) with a \(payload.count)-byte payload gave \(datagram.count) bytes, expected \(size)")
            }
            if !datagram.starts(with: header) {
                throw fail("the datagram sealed for packet number \(pn) does not start with its header")
            }
            let body = datagram[Packet.headerSize..<(Packet.headerSize + payload.count)]
            if mode == .encrypted {
                if payload.count >= 16 && body.elementsEqual(payload) {
                    throw fail("encrypted mode sent the \(payload.count)-byte payload of packet number \(pn) in clear")
                }
            } else if !body.elementsEqual(payload) {
                throw fail("\(mode) mode changed the payload of packet number \(pn)")
            }
            senderLast = pn
            report.sealed += 1
            if let earlier = genuine[datagram] {
                // Only the empty packet of the other mode (see `deliverForged`) may come out equal.
                if sealed[earlier].packetNumber != pn || !payload.isEmpty {
                    throw fail(
                        "sealing packet number \(pn) produced the bytes of an earlier datagram (packet number \(sealed[earlier].packetNumber))"
                    )
                }
            } else {
                genuine[datagram] = sealed.count
            }
            sealed.append(Sealed(datagram: datagram, packetNumber: pn, header: header, payload: payload))
        case (.success, let expected?):
            throw fail(
                "sealing packet number \(pn) (datagram of \(size) bytes, last sealed \(senderLast.map(String.init) ?? "none")) succeeded; expected \(expected)"
            )
        case (.failure(let error), nil):
            throw fail(
                "sealing packet number \(pn) (datagram of \(size) bytes, last sealed \(senderLast.map(String.init) ?? "none")) failed: \(error)"
            )
        case (.failure(let error), let expected?):
            if error != expected { throw fail("sealing packet number \(pn) failed with \(error); expected \(expected)") }
            refused(error)
        }
        if sender.lastSealed != senderLast {
            throw fail(
                "the sender's last sealed number is \(sender.lastSealed.map(String.init) ?? "none"), expected \(senderLast.map(String.init) ?? "none")"
            )
        }
    }

    private func sealMisuse(_ input: inout FuzzInput) throws(FuzzViolation) {
        let kind = input.readByte() % 3
        let length = Int(input.readByte())
        let result: Result<Void, SecurityError>
        switch kind {
        case 0:
            var headerLength = length % 40
            if headerLength == Packet.headerSize { headerLength += 1 }
            let header = [UInt8](repeating: 0x01, count: headerLength)
            result = Result { () throws(SecurityError) in
                _ = try sender.seal(header: header, payload: [1, 2, 3], packetNumber: 0x0101_0101_0101_0101)
            }
        case 1:
            let pn = (senderLast ?? 0) &+ 1
            let header = header(packetNumber: pn)
            let claimed = pn &+ 1 &+ UInt64(length)
            result = Result { () throws(SecurityError) in _ = try sender.seal(header: header, payload: [], packetNumber: claimed) }
        default:
            var packet = Array(header(packetNumber: (senderLast ?? 0) &+ 1).prefix(length % Packet.headerSize))
            result = Result { () throws(SecurityError) in try sender.sealInPlace(&packet) }
        }
        switch result {
        case .success:
            throw fail("sealing with a bad header (misuse kind \(kind), length \(length)) succeeded")
        case .failure(let error):
            guard error.code == .invalidHeader else {
                throw fail("sealing with a bad header (misuse kind \(kind)) failed with \(error), expected invalidHeader")
            }
            refused(error)
        }
        if sender.lastSealed != senderLast {
            throw fail("a refused seal changed the sender's last sealed number to \(sender.lastSealed.map(String.init) ?? "none")")
        }
    }

    /// What opening `datagram` must do, following `Specs/SECURITY.md` section 4.4 step by step.
    func expectation(for datagram: [UInt8]) -> Expectation {
        if datagram.count > Packet.maximumDatagramSize { return .refused(.oversize(size: datagram.count)) }
        let minimum = Packet.headerSize + mode.overhead
        if datagram.count < minimum { return .refused(.truncated(size: datagram.count, minimum: minimum)) }
        if mode == .none {
            if let index = genuine[datagram] { return .opens(sealed[index]) }
            let valid = datagram.withUnsafeBytes { (try? Datagram.verify($0)) != nil }
            guard valid else { return .refused(.checksumMismatch) }
            return .opensUnprotected(
                header: Array(datagram[0..<Packet.headerSize]),
                payload: Array(datagram[Packet.headerSize..<(datagram.count - Datagram.trailerSize)]))
        }
        let pn = packetNumber(in: datagram)
        if pn >= Packet.packetNumberLimit { return .refused(.invalidPacketNumber) }
        switch model.status(of: pn) {
        case .duplicate: return .refused(.replayed(packetNumber: pn))
        case .tooOld: return .refused(.tooOld(packetNumber: pn))
        case .fresh: break
        }
        if let index = genuine[datagram] { return .opens(sealed[index]) }
        return .refused(.authenticationFailed)
    }

    /// Hands `datagram` to the receiver and checks the outcome against ``expectation(for:)``.
    func deliver(_ datagram: [UInt8], what: @autoclosure () -> String) throws(FuzzViolation) {
        let expected = expectation(for: datagram)
        let before = receiver.windowState
        let pn = datagram.count >= Packet.headerSize ? packetNumber(in: datagram) : 0
        // Built only for a violation: formatting every delivery would cost more than opening it.
        var described: String {
            "\(what()) (\(datagram.count) bytes\(datagram.count >= Packet.headerSize ? ", packet number field \(pn)" : ""))"
        }
        let result = Result { () throws(SecurityError) -> (header: [UInt8], payload: [UInt8]) in
            try receiver.open(datagram: datagram)
        }
        switch (result, expected) {
        case (.success(let opened), .opens(let packet)):
            if opened.header != packet.header || opened.payload != packet.payload {
                throw fail(
                    "\(described) opened to a \(opened.payload.count)-byte payload that differs from the \(packet.payload.count) bytes sealed"
                )
            }
            if mode != .none { model.accept(packet.packetNumber) }
            report.opened += 1
        case (.success(let opened), .opensUnprotected(let header, let payload)):
            if opened.header != header || opened.payload != payload {
                throw fail("\(described) with a valid CRC opened to other bytes than it carries")
            }
            report.opened += 1
        case (.success, .refused(let error)):
            switch error.code {
            case .authenticationFailed:
                throw fail("\(described) opened, but the sender never sealed it: a forged or changed datagram was accepted")
            case .replayed:
                throw fail("\(described) opened, but that packet number was accepted before: a replay was accepted")
            case .tooOld:
                throw fail(
                    "\(described) opened, but its packet number is \(ReplayWindow.width) or more below the highest accepted \(model.highest.map(String.init) ?? "none")"
                )
            default:
                throw fail("\(described) opened; expected \(error)")
            }
        case (.failure(let error), .refused(let expectedError)):
            if receiver.reportsExactErrors ? error != expectedError : Self.kind(of: error) != Self.kind(of: expectedError) {
                throw fail("\(described) was refused with \(error); expected \(expectedError)")
            }
            refused(error)
        case (.failure(let error), _):
            throw fail("\(described), sealed by the sender and never accepted before, was refused: \(error)")
        }
        if case .failure = result, receiver.windowState != before {
            throw fail("refusing \(described) changed the replay window")
        }
        try compareWindow(around: pn)
    }

    private func deliverMutated(_ input: inout FuzzInput) throws(FuzzViolation) {
        let index = Int(input.readByte())
        let changes = Int(input.readByte() & 3) + 1
        guard !sealed.isEmpty else { return }
        let original = sealed[index % sealed.count]
        var datagram = original.datagram
        var names: [(SecurityFuzzProgram.MutationKind, Int)] = []
        for _ in 0..<changes {
            let kind = SecurityFuzzProgram.MutationKind(
                rawValue: input.readByte() % UInt8(SecurityFuzzProgram.MutationKind.allCases.count))!
            let position = Int(input.readUInt16())
            let value = input.readByte()
            names.append((kind, position))
            switch kind {
            case .flipBit:
                if !datagram.isEmpty { datagram[position % datagram.count] ^= 1 << (value % 8) }
            case .setByte:
                if !datagram.isEmpty { datagram[position % datagram.count] = value }
            case .truncate:
                datagram.removeLast(datagram.count - position % (datagram.count + 1))
            case .extend:
                datagram += [UInt8](repeating: value, count: position % 64 + 1)
            case .flipPacketNumberBit:
                if datagram.count >= Packet.headerSize {
                    let bit = Int(value % 64)
                    datagram[Packet.headerSize - 1 - bit / 8] ^= 1 << UInt8(bit % 8)
                }
            case .swapTag:
                let other = sealed[position % sealed.count].datagram
                let n = min(PacketProtector.tagSize, datagram.count, other.count)
                datagram.replaceSubrange((datagram.count - n)..., with: other.suffix(n))
            case .swapHeader:
                let other = sealed[position % sealed.count].datagram
                let n = min(Packet.headerSize, datagram.count, other.count)
                datagram.replaceSubrange(0..<n, with: other.prefix(n))
            case .removeByte:
                if !datagram.isEmpty { datagram.remove(at: position % datagram.count) }
            case .insertByte:
                datagram.insert(value, at: position % (datagram.count + 1))
            }
        }
        try deliver(
            datagram,
            what: "sealed packet number \(original.packetNumber) changed by \(names.map { "\($0.0)@\($0.1)" }.joined(separator: ", "))")
    }

    private func deliverForged(_ input: inout FuzzInput) throws(FuzzViolation) {
        let kind = input.readByte() % 4
        let pn = SecurityFuzzProgram.packetNumber(&input, base: model.highest)
        let payload = readPayload(&input)
        let otherDirection: PacketDirection = direction == .clientToServer ? .serverToClient : .clientToServer
        let protectedMode: SecurityMode = mode == .none ? .encrypted : mode
        let forger: PacketProtector
        let what: String
        switch kind {
        case 0:
            forger = PacketProtector(mode: protectedMode, key: keys.foreign.key(for: direction), direction: direction)
            what = "datagram sealed with another connection's key"
        case 1:
            forger = PacketProtector(mode: protectedMode, key: keys.session.key(for: otherDirection), direction: otherDirection)
            what = "datagram sealed for the other direction"
        case 2:
            let otherMode: SecurityMode = mode == .authenticated ? .encrypted : .authenticated
            forger = PacketProtector(mode: otherMode, key: keys.session.key(for: direction), direction: direction)
            what = "datagram sealed in \(otherMode) mode"
        default:
            forger = PacketProtector(mode: protectedMode, key: keys.session.key(for: direction), direction: otherDirection)
            what = "datagram sealed with this direction's key but the other direction's nonce"
        }
        let header = header(packetNumber: pn)
        let forged = Result { () throws(SecurityError) -> [UInt8] in try forger.seal(header: header, payload: payload, packetNumber: pn) }
        switch forged {
        case .success(let datagram) where kind == 2 && payload.isEmpty && mode != .none && genuine[datagram] == nil:
            // With an empty payload both modes compute the same tag (AEAD of nothing with the
            // header as associated data) and the key schedule does not depend on the mode, so this
            // is exactly the datagram the sender would seal for `pn`: it must open if `pn` is fresh.
            genuine[datagram] = sealed.count
            sealed.append(Sealed(datagram: datagram, packetNumber: pn, header: header, payload: payload))
            try deliver(datagram, what: "empty packet sealed in the other mode (the same bytes in both modes)")
        case .success(let datagram): try deliver(datagram, what: "forged \(what)")
        case .failure: try deliver(header + payload, what: "forged unsealed packet")
        }
    }

    private func windowAccept(_ input: inout FuzzInput) throws(FuzzViolation) {
        let pn = SecurityFuzzProgram.packetNumber(&input, base: separateModel.highest)
        let before = separateWindow
        let status = separateModel.status(of: pn)
        if separateWindow.check(pn) != (status == .fresh) {
            throw fail(
                "separate window: check(\(pn)) is \(separateWindow.check(pn)) but the model says \(status) (highest \(separateModel.highest.map(String.init) ?? "none"))"
            )
        }
        separateWindow.accept(pn)
        if status == .fresh {
            separateModel.accept(pn)
        } else if separateWindow != before {
            throw fail("separate window: accepting \(pn), which is \(status), changed the window")
        }
        if separateWindow.highest != separateModel.highest {
            throw fail(
                "separate window: highest is \(separateWindow.highest.map(String.init) ?? "none") after accepting \(pn); the model says \(separateModel.highest.map(String.init) ?? "none")"
            )
        }
        for n in separateModel.interestingNumbers(around: pn) where separateWindow.status(of: n) != separateModel.status(of: n) {
            throw fail(
                "separate window: \(n) is \(separateWindow.status(of: n)) after accepting \(pn), the model says \(separateModel.status(of: n)) (highest \(separateModel.highest.map(String.init) ?? "none"))"
            )
        }
    }

    /// The receiver's window must classify `pn` and the numbers around it exactly as the model.
    func compareWindow(around pn: UInt64) throws(FuzzViolation) {
        if receiver.highestAccepted != model.highest {
            throw fail(
                "the receiver's highest accepted number is \(receiver.highestAccepted.map(String.init) ?? "none"); the model says \(model.highest.map(String.init) ?? "none")"
            )
        }
        for n in model.interestingNumbers(around: pn) {
            let actual = receiver.windowStatus(of: n)
            let expected = model.status(of: n)  // in mode none nothing is ever accepted
            if actual != expected {
                throw fail(
                    "the receiver's window says \(n) is \(actual); the model says \(expected) (highest \(model.highest.map(String.init) ?? "none"))"
                )
            }
        }
    }

    /// Every number from 1,100 below the highest to 2 above, in both windows.
    private func compareWholeWindows() throws(FuzzViolation) {
        operationIndex = report.operations
        if let highest = model.highest, mode != .none {
            for offset in UInt64(0)..<1103 {
                let n = highest &- 1100 &+ offset
                if receiver.windowStatus(of: n) != model.status(of: n) {
                    throw fail(
                        "at the end, the receiver's window says \(n) is \(receiver.windowStatus(of: n)); the model says \(model.status(of: n)) (highest \(highest))"
                    )
                }
            }
        }
        if let highest = separateModel.highest {
            for offset in UInt64(0)..<1103 {
                let n = highest &- 1100 &+ offset
                if separateWindow.status(of: n) != separateModel.status(of: n) {
                    throw fail(
                        "at the end, the separate window says \(n) is \(separateWindow.status(of: n)); the model says \(separateModel.status(of: n)) (highest \(highest))"
                    )
                }
            }
        }
    }

    // MARK: cookies

    private func advanceTime(_ input: inout FuzzInput) {
        let kind = input.readByte() % 6
        let amount = UInt64(input.readUInt16())
        let step: UInt64
        switch kind {
        case 0: step = amount
        case 1: step = amount * 1_000
        case 2: step = amount * 1_000_000
        case 3: step = amount * 1_000_000_000
        case 4: step = lifetime
        default: step = saturatingSum(lifetime, 1)
        }
        now = saturatingSum(now, step)
    }

    private func readAddress(_ input: inout FuzzInput, cookie: IssuedCookie?) -> [UInt8] {
        switch input.readByte() % 7 {
        case 0: return cookie?.address ?? [127, 0, 0, 1, 0x11, 0x51]
        case 1: return [127, 0, 0, 1, 0x11, 0x51]
        case 2: return [UInt8](repeating: 0, count: 15) + [1, 0x11, 0x51]
        case 3: return []
        case 4: return [127, 0, 0, 1, 0x11, 0x52]
        case 5: return [0]
        default: return input.readBytes(Int(input.readByte() % 40))
        }
    }

    private func readConnectionID(_ input: inout FuzzInput, cookie: IssuedCookie?) -> ConnectionID {
        switch input.readByte() % 5 {
        case 0: return cookie?.clientConnectionID ?? keys.clientConnectionID
        case 1: return keys.clientConnectionID
        case 2: return ConnectionID(0)
        case 3: return ConnectionID(.max)
        default: return ConnectionID(input.readUInt64())
        }
    }

    private func issueCookie(_ input: inout FuzzInput) throws(FuzzViolation) {
        let address = readAddress(&input, cookie: nil)
        let clientID = readConnectionID(&input, cookie: nil)
        guard issued.count < Self.maximumRecords else { return }
        if now >= rotatedAt && now - rotatedAt >= rotationInterval {
            generation += 1
            rotatedAt = now
        }
        let cookie = cookies.issue(address: address, clientConnectionID: clientID, at: now)
        if cookie.count != CookieIssuer.cookieSize || bigEndian(cookie.prefix(8)) != now {
            throw fail(
                "a cookie issued at \(now) is \(cookie.count) bytes stamped \(bigEndian(cookie.prefix(8))), expected \(CookieIssuer.cookieSize) bytes stamped \(now)"
            )
        }
        issued.append(IssuedCookie(bytes: cookie, address: address, clientConnectionID: clientID, generation: generation))
        report.cookiesIssued += 1
    }

    private func verifyCookie(_ input: inout FuzzInput) throws(FuzzViolation) {
        let choice = input.readByte() % 5
        let index = Int(input.readByte())
        let reference = issued.isEmpty ? nil : issued[index % issued.count]
        var cookie: [UInt8]
        let what: String
        switch choice {
        case 0:
            cookie = reference?.bytes ?? []
            what = "an issued cookie"
        case 1:
            cookie = reference?.bytes ?? [UInt8](repeating: 0, count: CookieIssuer.cookieSize)
            let position = Int(input.readByte())
            cookie[position % cookie.count] ^= input.readByte()
            what = "a changed cookie"
        case 2:
            cookie = input.readBytes(Int(input.readByte() % 40))
            what = "arbitrary bytes"
        case 3:
            cookie = SecurityFuzzer.foreignCookie
            what = "the vectors' cookie"
        default:
            cookie = reference?.bytes ?? [UInt8](repeating: 0, count: CookieIssuer.cookieSize)
            let stamp = bigEndian(cookie.prefix(8)) &+ 1 &+ UInt64(input.readByte())
            var stamped: [UInt8] = []
            appendBigEndian(stamp, to: &stamped)
            cookie.replaceSubrange(0..<8, with: stamped)
            what = "an issued cookie with another timestamp"
        }
        let address = readAddress(&input, cookie: reference)
        let clientID = readConnectionID(&input, cookie: reference)
        let stamp = cookie.count >= 8 ? bigEndian(cookie.prefix(8)) : now
        let at: UInt64
        switch input.readByte() % 7 {
        case 0: at = now
        case 1: at = stamp
        case 2: at = saturatingSum(stamp, lifetime)
        case 3: at = saturatingSum(saturatingSum(stamp, lifetime), 1)
        case 4: at = stamp &- 1
        case 5: at = input.readUInt64()
        default: at = saturatingSum(now, lifetime)
        }

        let genuine =
            cookie.count == CookieIssuer.cookieSize
            && issued.contains {
                $0.bytes == cookie && $0.address == address && $0.clientConnectionID == clientID && $0.generation + 1 >= generation
            }
        let expected: SecurityError?
        if !genuine {
            expected = .invalidCookie
        } else if stamp <= at && at - stamp <= lifetime {
            expected = nil
        } else {
            expected = .expiredCookie
        }
        let result = Result { () throws(SecurityError) in
            try cookies.verify(cookie, address: address, clientConnectionID: clientID, at: at)
        }
        var described: String {
            "\(what) (\(cookie.count) bytes, stamped \(stamp)) for address \(WireFuzzer.hex(address)) and ID \(clientID), verified at \(at) (lifetime \(lifetime), secret generation \(generation))"
        }
        switch (result, expected) {
        case (.success, nil):
            report.cookiesAccepted += 1
        case (.success, let expected?):
            throw fail("\(described) verified; expected \(expected)")
        case (.failure(let error), nil):
            throw fail("\(described) was refused with \(error) though it was issued for them and is within its lifetime")
        case (.failure(let error), let expected?):
            if error != expected { throw fail("\(described) was refused with \(error); expected \(expected)") }
            refused(error)
        }
    }

    // MARK: handshake tags

    /// Implementation `choice` of a handshake tag: 0 and 1 are ``HandshakeAuthenticator`` with
    /// the connect key and the session's handshake key; 2 and 3 the engine hooks over the same
    /// keys (``PSKHandshakeSecurity`` connect-key tag, ``SessionProtection`` handshake tag), so
    /// tags are recorded by key (`choice % 2`) and must agree across implementations.
    private func handshakeTag(_ input: inout FuzzInput) throws(FuzzViolation) {
        let choice = Int(input.readByte() % 4)
        let key = choice % 2
        let message = input.readBytes(Int(input.readByte()))
        let tag: [UInt8]
        switch choice {
        case 0, 1:
            tag = authenticators[key].tag(message)
        case 2:
            var datagram = message
            connectHooks.appendConnectKeyTag(&datagram)
            guard datagram.starts(with: message) else { throw fail("appendConnectKeyTag changed the \(message.count)-byte packet it tags") }
            tag = Array(datagram.dropFirst(message.count))
        default:
            var datagram = message
            sessionHooks.authenticateHandshake(&datagram)
            guard datagram.starts(with: message) else {
                throw fail("authenticateHandshake changed the \(message.count)-byte packet it tags")
            }
            if handshakeKeyDiscarded {
                if datagram.count != message.count { throw fail("authenticateHandshake still tags after discardHandshakeKey") }
                return
            }
            tag = Array(datagram.dropFirst(message.count))
        }
        if tag.count != HandshakeAuthenticator.tagSize {
            throw fail("a handshake tag (implementation \(choice)) is \(tag.count) bytes, expected \(HandshakeAuthenticator.tagSize)")
        }
        if let earlier = tags.first(where: { $0.key == key && $0.message == message }), earlier.tag != tag {
            throw fail("the handshake tag of the same \(message.count)-byte message under the same key differs (implementation \(choice))")
        }
        if !authenticators[key].isValid(tag: tag, for: message) {
            throw fail("a handshake tag (implementation \(choice)) does not verify for its own \(message.count)-byte message")
        }
        report.tagsAccepted += 1
        if tags.count < Self.maximumRecords { tags.append(Tag(key: key, message: message, tag: tag)) }
    }

    private func handshakeVerify(_ input: inout FuzzInput) throws(FuzzViolation) {
        var choice = Int(input.readByte() % 4)
        let index = Int(input.readByte())
        let change = input.readByte() % 7
        let position = Int(input.readByte())
        let value = input.readByte()
        var message: [UInt8] = []
        var tag: [UInt8] = []
        if !tags.isEmpty {
            let pair = tags[index % tags.count]
            choice = choice & 2 | pair.key
            message = pair.message
            tag = pair.tag
        }
        switch change {
        case 0: break
        case 1: if !tag.isEmpty { tag[position % tag.count] ^= 1 << (value % 8) }
        case 2: tag = Array(tag.prefix(position % (HandshakeAuthenticator.tagSize + 1)))
        case 3: message.append(value)
        case 4: choice ^= 1
        case 5: tag = [UInt8](repeating: value, count: position % 33)
        default:
            sessionHooks.discardHandshakeKey()
            handshakeKeyDiscarded = true
        }
        let key = choice % 2
        let valid: Bool
        let expected: Bool
        if choice < 2 {
            valid = authenticators[key].isValid(tag: tag, for: message)
            expected = tags.contains { $0.key == key && $0.message == message && $0.tag == tag }
        } else {
            // The hooks take the packet and its tag as one datagram and split off the last 16 bytes.
            let datagram = message + tag
            let size = HandshakeAuthenticator.tagSize
            let (body, suffix) = (Array(datagram.dropLast(size)), Array(datagram.suffix(size)))
            valid = choice == 2 ? connectHooks.verifyConnectKeyTag(datagram) : sessionHooks.verifyHandshake(datagram)
            // A datagram of only a tag carries no packet: the hooks refuse it (no handshake packet is empty).
            expected =
                datagram.count > size && !(choice == 3 && handshakeKeyDiscarded)
                && tags.contains { $0.key == key && $0.message == body && $0.tag == suffix }
        }
        if valid != expected {
            throw fail(
                "a \(tag.count)-byte handshake tag (implementation \(choice), change \(change)) for a \(message.count)-byte message \(valid ? "verified" : "was refused"); expected \(expected ? "valid" : "refused")"
            )
        }
        if valid { report.tagsAccepted += 1 }
    }

    // MARK: helpers

    /// The kind of a refusal as the engine sees it (``PacketOpenResult``).
    static func kind(of error: SecurityError) -> String {
        switch error.code {
        case .replayed, .tooOld, .authenticationFailed: return error.name
        default: return "malformed"
        }
    }

    /// The big-endian packet number at bytes 11 ..< 19.
    func packetNumber(in bytes: [UInt8]) -> UInt64 {
        bigEndian(bytes[11..<Packet.headerSize])
    }

    private func saturatingSum(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }

    private func bigEndian(_ bytes: some Collection<UInt8>) -> UInt64 {
        bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }

    private func appendBigEndian(_ value: UInt64, to bytes: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }
}
