import RUDPCore

/// Settings of an ``Exchange``.
public struct ExchangeOptions: Sendable {
    /// Reliable-ordered messages the client sends to the server. Default 100,000.
    public var messages = 100_000
    /// Bytes per message, at least 8 (the first 8 carry the message's index). Default 1,024.
    public var messageSize = 1_024
    /// Probability that a datagram is lost, in either direction (handshake and close included).
    public var loss = 0.0
    /// Seed of the loss pattern; the endpoints draw their IDs from `seed` and `seed + 1`.
    public var seed: UInt64 = 1
    /// One-way delay of every datagram, in nanoseconds of virtual time. Default 1 ms, the delay
    /// of the `rudp simulate` runs the figures are compared with.
    public var oneWayDelay: UInt64 = 1_000_000
    /// Most datagrams an endpoint takes before its output is polled. Default 16, the client
    /// transport's vector read (the server's reads 64).
    public var batchSize = 16
    /// A phase that takes longer than this in virtual time fails (a stalled engine). Default 1 h.
    public var phaseTimeLimit: UInt64 = 3_600_000_000_000

    /// The defaults: 100,000 messages of 1 KiB, no loss, seed 1, 1 ms one-way delay.
    public init() {}
}

/// What an ``Exchange`` counted.
public struct ExchangeStatistics: Sendable {
    /// Messages the server delivered (each verified, in order).
    public var delivered = 0
    /// Messages the client saw acknowledged.
    public var acknowledged = 0
    /// Message bytes delivered.
    public var deliveredBytes = 0
    /// Datagrams the client produced (before loss).
    public var datagramsToServer = 0
    /// Datagrams the server produced (before loss).
    public var datagramsToClient = 0
    /// Client datagrams the loss dropped.
    public var droppedToServer = 0
    /// Server datagrams the loss dropped.
    public var droppedToClient = 0
    /// `send` calls refused with `sendBufferFull` (each retried after the next `.writable`).
    public var refusedSends = 0
    /// Deliveries of the datagrams in flight (each advances the clock by the one-way delay).
    public var rounds = 0
    /// Times the clock jumped to the next deadline because nothing was in flight.
    public var timerWakeups = 0
    /// Of those, times the next deadline was not after the current time (a timer that stayed
    /// due after it was handled): the clock then moves 1 µs so that the run cannot spin.
    public var staleDeadlines = 0
    /// Virtual time at the end of the last phase, in nanoseconds.
    public var virtualTime: UInt64 = 0
    /// The client connection's own counters at the end of the transfer (retransmissions, RTT, window).
    public var clientConnection = ConnectionStatistics()
    /// Order-dependent checksum of the delivered bytes.
    public var checksum: UInt64 = Exchange.checksumSeed
    /// The checksum the client's messages imply.
    public var expectedChecksum: UInt64 = Exchange.checksumSeed
}

/// Why an ``Exchange`` failed: the engine did not deliver what it was given.
public enum ExchangeError: Error, CustomStringConvertible {
    /// A phase did not finish within ``ExchangeOptions/phaseTimeLimit``, or the endpoints went idle first.
    case stalled(phase: String, virtualTime: UInt64, ExchangeStatistics)
    /// A delivered message had the wrong size or arrived out of order.
    case wrongMessage(index: Int, size: Int, stampedIndex: UInt64)
    /// The delivered bytes do not match the sent ones.
    case checksumMismatch(ExchangeStatistics)
    /// An event that a clean exchange never produces.
    case unexpectedEvent(String)

    /// The failure in words.
    public var description: String {
        switch self {
        case let .stalled(phase, time, s):
            return "stalled in \(phase) at t=\(Double(time) / 1e9)s (delivered \(s.delivered), acknowledged \(s.acknowledged))"
        case let .wrongMessage(index, size, stamped):
            return "message \(index): \(size) bytes stamped with index \(stamped)"
        case let .checksumMismatch(s):
            return "checksum of delivered bytes \(s.checksum) differs from the sent \(s.expectedChecksum)"
        case let .unexpectedEvent(what):
            return "unexpected event: \(what)"
        }
    }
}

/// The minimal in-memory driver: a client and a server ``Endpoint`` whose datagrams are handed
/// over through arrays, with seeded loss in both directions and a virtual clock.
///
/// The client sends ``ExchangeOptions/messages`` reliable-ordered messages as fast as the engine
/// takes them (after a `sendBufferFull` it waits for `.writable`, as an application does); the
/// server releases each message's credit once it has checked it. Time moves only by the
/// one-way delay each time the datagrams in flight are delivered, or to the next deadline when
/// nothing is in flight. Phases: ``connect()``, ``transfer()``, ``close()``.
///
/// Every message is verified (its size, its index stamped in its first 8 bytes, and an
/// order-dependent checksum of all delivered bytes), so a broken engine cannot produce a fast
/// number. The driver's own work per message is small: one 1 KiB copy to make the message and a
/// word-wise sum to check it.
public struct Exchange {
    /// The checksum of no message.
    public static let checksumSeed: UInt64 = 0xCBF2_9CE4_8422_2325
    static let clientAddress: PeerAddress = 1
    static let serverAddress: PeerAddress = 2
    /// Most datagrams taken from an endpoint in one `pollTransmit` (a GSO batch).
    static let transmitSegments = 16

    /// The settings of the run.
    public let options: ExchangeOptions
    /// What the run counted so far.
    public private(set) var statistics = ExchangeStatistics()

    private let client: Endpoint
    private let server: Endpoint
    private var now = Timestamp.zero
    private var lossRandom: SeededGenerator
    private let lossThreshold: UInt64
    /// Datagrams in flight, bytes back to back (the endpoints write straight into them).
    private var toServer = DatagramQueue()
    private var toClient = DatagramQueue()
    /// The previous round's queues, being delivered (kept to reuse their storage).
    private var arrivingAtServer = DatagramQueue()
    private var arrivingAtClient = DatagramQueue()
    private var clientID: ConnectionID?
    private var serverID: ConnectionID?
    private var clientConnected = false
    private var clientClosed: CloseReason?
    private var serverClosed: CloseReason?
    /// The message bytes, index 0 stamped in its first word, and the word sum of the rest. A
    /// `ByteBuffer`, sent as the public API takes it: stamping a message copies the template's
    /// bytes once (copy-on-write), the engine copies them once more, into the datagram.
    private let template: ByteBuffer
    private let templateSum: UInt64
    private var sent = 0
    private var sending = false
    private var sendBlocked = false

    /// Two fresh endpoints, nothing sent yet.
    public init(options: ExchangeOptions) {
        precondition(options.messageSize >= 8, "messages carry their index in their first 8 bytes")
        self.options = options
        let connection = ConnectionConfiguration()
        client = Endpoint(configuration: EndpointConfiguration(connection: connection), randomness: SeededGenerator(seed: options.seed))
        server = Endpoint(
            configuration: EndpointConfiguration(connection: connection, acceptsConnections: true),
            randomness: SeededGenerator(seed: options.seed &+ 1))
        lossRandom = SeededGenerator(seed: options.seed ^ 0x6C6F_7373)
        lossThreshold = options.loss <= 0 ? 0 : options.loss >= 1 ? .max : UInt64(options.loss * 0x1p64)
        var bytes = [UInt8](repeating: 0, count: options.messageSize)
        var fill = SeededGenerator(seed: options.seed &+ 2)
        for i in 8..<bytes.count { bytes[i] = UInt8(truncatingIfNeeded: fill.next()) }
        template = ByteBuffer(bytes: bytes)
        templateSum = Self.wordSum(bytes).sum
    }

    // MARK: - Phases

    /// Runs the handshake until both sides report `.connected`.
    public mutating func connect() throws(ExchangeError) {
        clientID = client.connect(to: Self.serverAddress, at: now)
        try run(.connected)
    }

    /// Sends every message and runs until all are delivered and acknowledged; checks the bytes.
    public mutating func transfer() throws(ExchangeError) {
        sending = true
        try run(.transferred)
        sending = false
        if let clientID, let connection = client.connection(clientID) { statistics.clientConnection = connection.statistics }
        if statistics.checksum != statistics.expectedChecksum || statistics.deliveredBytes != options.messages * options.messageSize {
            throw .checksumMismatch(statistics)
        }
    }

    /// Closes the client's connection gracefully and runs until both sides report it closed, cleanly.
    public mutating func close() throws(ExchangeError) {
        guard let clientID else { return }
        client.close(clientID, at: now)
        try run(.closed)
        if clientClosed?.isClean != true || serverClosed?.isClean != true {
            throw .unexpectedEvent("close: client \(clientClosed.map { "\($0)" } ?? "-"), server \(serverClosed.map { "\($0)" } ?? "-")")
        }
    }

    /// All three phases.
    public mutating func run() throws(ExchangeError) {
        try connect()
        try transfer()
        try close()
    }

    // MARK: - The loop

    private enum Goal: String { case connected = "handshake", transferred = "transfer", closed = "close" }

    private func reached(_ goal: Goal) -> Bool {
        switch goal {
        case .connected: return clientConnected && serverID != nil
        case .transferred: return statistics.delivered == options.messages && statistics.acknowledged == options.messages
        case .closed: return clientClosed != nil && serverClosed != nil
        }
    }

    private mutating func run(_ goal: Goal) throws(ExchangeError) {
        let limit = now.adding(nanoseconds: options.phaseTimeLimit)
        while true {
            try service(.client)
            try service(.server)
            statistics.virtualTime = now.nanoseconds
            if reached(goal) { return }
            if now > limit { throw .stalled(phase: goal.rawValue, virtualTime: now.nanoseconds, statistics) }
            if !toServer.isEmpty || !toClient.isEmpty {
                // Everything in flight arrives one one-way delay later; what it provokes leaves
                // in the next round.
                now = now.adding(nanoseconds: options.oneWayDelay)
                statistics.rounds += 1
                swap(&toServer, &arrivingAtServer)
                swap(&toClient, &arrivingAtClient)
                try deliver(arrivingAtServer, to: .server)
                arrivingAtServer.removeAll()
                try deliver(arrivingAtClient, to: .client)
                arrivingAtClient.removeAll()
            } else {
                // Nothing in flight: jump to the earliest deadline.
                let next: Timestamp
                switch (client.nextDeadline(), server.nextDeadline()) {
                case let (c?, s?): next = min(c, s)
                case let (c?, nil): next = c
                case let (nil, s?): next = s
                case (nil, nil): throw .stalled(phase: goal.rawValue, virtualTime: now.nanoseconds, statistics)
                }
                statistics.timerWakeups += 1
                if next > now {
                    now = next
                } else {
                    statistics.staleDeadlines += 1
                    now = now.adding(nanoseconds: 1_000)
                }
            }
            if let deadline = client.nextDeadline(), deadline <= now { client.handleTimeout(at: now) }
            if let deadline = server.nextDeadline(), deadline <= now { server.handleTimeout(at: now) }
        }
    }

    private enum Side { case client, server }

    /// Hands `datagrams` to one endpoint in batches of ``ExchangeOptions/batchSize``, servicing
    /// it after each batch (as the transport does after each vector read).
    private mutating func deliver(_ datagrams: DatagramQueue, to side: Side) throws(ExchangeError) {
        let endpoint = side == .client ? client : server
        let source = side == .client ? Self.serverAddress : Self.clientAddress
        var start = 0
        while start < datagrams.count {
            let end = min(start + options.batchSize, datagrams.count)
            let now = self.now
            for i in start..<end { datagrams.withDatagram(i) { endpoint.handle(datagram: $0, from: source, at: now) } }
            try service(side)
            start = end
        }
    }

    /// Offers messages (client), then takes every datagram and event the endpoint has, until it
    /// has none (it loops: the server releases each message's credit as it takes it, which may
    /// let a MAX_DATA go, and acknowledgements free send-buffer room).
    private mutating func service(_ side: Side) throws(ExchangeError) {
        repeat {
            if side == .client {
                if sending { offer() }
                while let transmit = toServer.fill(from: client, maxSegments: Self.transmitSegments, at: now) {
                    statistics.datagramsToServer += transmit.segmentCount
                    keep(transmit, toServer: true)
                }
            } else {
                while let transmit = toClient.fill(from: server, maxSegments: Self.transmitSegments, at: now) {
                    statistics.datagramsToClient += transmit.segmentCount
                    keep(transmit, toServer: false)
                }
            }
        } while try side == .client ? takeClientEvents() : takeServerEvents()
    }

    private mutating func lost() -> Bool {
        lossRandom.next() < lossThreshold
    }

    /// Records the datagrams of a transmit just written at the end of a queue, each dropped with
    /// the loss probability (drawn per datagram, as before batches).
    private mutating func keep(_ transmit: Transmit, toServer: Bool) {
        for index in 0..<transmit.segmentCount {
            if lost() {
                if toServer { statistics.droppedToServer += 1 } else { statistics.droppedToClient += 1 }
            } else if toServer {
                self.toServer.keep(segment: index, of: transmit)
            } else {
                toClient.keep(segment: index, of: transmit)
            }
        }
        if toServer { self.toServer.commit(transmit) } else { toClient.commit(transmit) }
    }

    /// Sends the next messages until the engine refuses one (then waits for `.writable`).
    private mutating func offer() {
        guard let clientID, clientConnected else { return }
        while sent < options.messages && !sendBlocked {
            var message = template
            message.setInteger(UInt64(sent), at: message.readerIndex, endianness: .little)
            do {
                try client.send(message, on: clientID)
            } catch .sendBufferFull {
                statistics.refusedSends += 1
                sendBlocked = true
                return
            } catch {
                return  // closing: the run stalls and reports it
            }
            statistics.expectedChecksum = Self.combine(statistics.expectedChecksum, UInt64(sent) &+ templateSum)
            sent += 1
        }
    }

    /// Takes the client's events; returns whether there were any.
    private mutating func takeClientEvents() throws(ExchangeError) -> Bool {
        var any = false
        while let (_, event) = client.pollEvent() {
            any = true
            switch event {
            case .connected: clientConnected = true
            case .acknowledged: statistics.acknowledged += 1
            case .writable: sendBlocked = false
            case .closed(let reason): clientClosed = reason
            case .failed(let id): throw .unexpectedEvent("client: message \(id) failed")
            case .message: throw .unexpectedEvent("client: a message")
            }
        }
        return any
    }

    /// Takes the server's events, checking and releasing each message; returns whether there were any.
    private mutating func takeServerEvents() throws(ExchangeError) -> Bool {
        var any = false
        while let (id, event) = server.pollEvent() {
            any = true
            switch event {
            case .connected: serverID = id
            case .message(let message):
                try message.buffer.withUnsafeReadableBytes { raw throws(ExchangeError) in try check(raw) }
                server.releaseCredit(message, on: id)
            case .closed(let reason): serverClosed = reason
            case .acknowledged, .writable: break
            case .failed(let id): throw .unexpectedEvent("server: message \(id) failed")
            }
        }
        return any
    }

    /// Checks a delivered message's size and index and folds its bytes into the checksum.
    private mutating func check(_ bytes: UnsafeRawBufferPointer) throws(ExchangeError) {
        let (first, sum) = Self.wordSum(bytes)
        guard bytes.count == options.messageSize, first == UInt64(statistics.delivered) else {
            throw .wrongMessage(index: statistics.delivered, size: bytes.count, stampedIndex: first)
        }
        statistics.checksum = Self.combine(statistics.checksum, sum)
        statistics.delivered += 1
        statistics.deliveredBytes += bytes.count
    }

    /// The first 8-byte word and the wrapping sum of all words (trailing bytes added one by one).
    static func wordSum(_ bytes: [UInt8]) -> (first: UInt64, sum: UInt64) {
        bytes.withUnsafeBytes { wordSum($0) }
    }

    /// ``wordSum(_:)-([UInt8])`` of bytes in place.
    static func wordSum(_ raw: UnsafeRawBufferPointer) -> (first: UInt64, sum: UInt64) {
        guard raw.count >= 8 else { return (.max, 0) }
        let words = raw.count / 8
        var sum: UInt64 = 0
        for i in 0..<words { sum &+= raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self) }
        for i in (words * 8)..<raw.count { sum &+= UInt64(raw[i]) }
        return (raw.loadUnaligned(as: UInt64.self), sum)
    }

    /// Folds one message's sum into the running checksum (FNV-style: order-dependent).
    static func combine(_ checksum: UInt64, _ sum: UInt64) -> UInt64 {
        (checksum ^ sum) &* 0x0000_0100_0000_01B3
    }
}
