import RUDPWire
import Testing

@testable import RUDPCore

/// What a connection counts as receive memory, its limits, and the endpoint's budget
/// (`Specs/PROTOCOL.md` sections 13.6 and 17.4), fed with hand-made DATA packets.
@Suite struct ReceiveMemoryTests {
    static let overhead = ReceiveMemory.overhead

    /// A server connection fed DATA packets by the test.
    final class Fed {
        let connection: Connection
        var packetNumber: UInt64 = 1

        /// Whether ``messages()`` releases each message's credit (an application that consumes them
        /// at once) or leaves that to the test.
        let consuming: Bool

        init(_ config: ConnectionConfiguration = ConnectionConfiguration(), consuming: Bool = true) {
            self.consuming = consuming
            connection = Connection(
                serverWith: config, localID: ConnectionID(77), connect: TransportParameters(sourceConnectionID: ConnectionID(5)), at: .zero)
            _ = connection.pollTransmit(at: .zero)  // ACCEPT
            deliver([.ping])  // established
            while connection.pollEvent() != nil {}
        }

        /// Delivers one DATA packet with `frames`; returns whether it was recorded.
        @discardableResult
        func deliver(_ frames: [Frame]) -> Bool {
            let accepted = connection.packetsAccepted
            var bytes = Packet(destination: connection.localID, packetNumber: packetNumber, body: .data(frames)).serialized()
            Datagram.seal(&bytes)
            packetNumber += 1
            connection.handle(datagram: bytes, at: .zero)
            return connection.packetsAccepted > accepted
        }

        func messages() -> [ReceivedMessage] {
            var out: [ReceivedMessage] = []
            while let event = connection.pollEvent() {
                guard case .message(let m) = event else { continue }
                out.append(m)
                if consuming { connection.releaseCredit(m) }
            }
            return out
        }
    }

    static func fragment(_ sequence: UInt32, total: Int, offset: Int, count: Int, mode: DeliveryMode = .reliableOrdered, channel: UInt8 = 0)
        -> Frame
    {
        .message(
            MessageFrame(
                channel: channel, mode: mode, sequence: sequence, totalLength: UInt32(total), offset: UInt32(offset),
                payload: [UInt8](repeating: UInt8(truncatingIfNeeded: sequence), count: count)))
    }

    @Test func waitingAndPartialMessagesCountUntilDelivered() {
        let fed = Fed()
        fed.deliver([Self.fragment(1, total: 500, offset: 0, count: 500)])  // complete, waits for 0
        #expect(fed.connection.receiveMemory == 500 + Self.overhead)
        fed.deliver([Self.fragment(0, total: 3000, offset: 1000, count: 1000)])  // partial: a chunk and a record
        #expect(fed.connection.receiveMemory == 500 + Self.overhead + 1000 + 2 * Self.overhead)
        #expect(fed.messages().isEmpty)
        fed.deliver([Self.fragment(0, total: 3000, offset: 0, count: 1000), Self.fragment(0, total: 3000, offset: 2000, count: 1000)])
        #expect(fed.messages().map(\.bytes.count) == [3000, 500])
        #expect(fed.connection.receiveMemory == 0)
        #expect(fed.connection.statistics.receiveMemory == 0)
    }

    @Test func undeliveredUnreliableMessagesCountUntilReleased() {
        let fed = Fed(consuming: false)
        fed.deliver([Self.fragment(0, total: 700, offset: 0, count: 700, mode: .unreliable)])
        #expect(fed.connection.receiveMemory == 700 + Self.overhead)
        let messages = fed.messages()
        #expect(messages.count == 1)
        #expect(fed.connection.receiveMemory == 700 + Self.overhead)  // still the application's to take
        fed.connection.releaseCredit(messages[0])
        #expect(fed.connection.receiveMemory == 0)
        fed.connection.releaseCredit(messages[0])  // a second release changes nothing
        #expect(fed.connection.receiveMemory == 0)
    }

    @Test func unreliableDataMustFitTheWindow() {
        var config = ConnectionConfiguration()
        config.maxMessageSize = 4096
        config.receiveWindow = 4096
        config.unreliableDeliveryBytes = 1 << 20
        let fed = Fed(config, consuming: false)
        // A partial unreliable message first, then whole ones: the partial one gives way first.
        fed.deliver([Self.fragment(50, total: 2000, offset: 1000, count: 1000, mode: .unreliable)])
        for sequence in 0..<4 as Range<UInt32> {
            fed.deliver([Self.fragment(sequence, total: 1000, offset: 0, count: 1000, mode: .unreliable)])
        }
        #expect(fed.connection.receiveMemory <= 4096)
        #expect(fed.messages().count == 3)
        #expect(fed.connection.statistics.unreliableMessagesDropped == 1)
        #expect(fed.connection.unreliableReassemblyCount == 0)
    }

    @Test func tinyPiecesAreRefusedUnrecordedAtTheLimit() {
        var config = ConnectionConfiguration()
        config.maxMessageSize = 64 << 10
        config.receiveWindow = 64 << 10
        let fed = Fed(config)
        // One-byte pieces at odd offsets (each its own interval, so none can share a chunk) of
        // 4 KiB messages that never complete (not the channel's next one, sequence 0).
        var offset = 1
        var sequence: UInt32 = 1
        var refused = 0
        while sequence < 9 && refused == 0 {
            let frames = (0..<20).map { Self.fragment(sequence, total: 4096, offset: offset + 2 * $0, count: 1) }
            offset += 40
            if offset >= 4096 {
                offset = 1
                sequence += 1
            }
            if !fed.deliver(frames) { refused += 1 }
        }
        #expect(refused == 1)
        #expect(fed.connection.receiveMemory <= fed.connection.receiveMemoryLimit)
        #expect(fed.connection.statistics.packetsDroppedForMemory == 1)
        // The refused packet was not recorded: the peer sees a loss, and nothing it sent in it
        // is acknowledged. The connection goes on.
        #expect(fed.connection.state == .established)
        #expect(fed.connection.packetsAccepted == Int(fed.packetNumber) - 2)
        // A packet with a fragment of the channel's next message (sequence 0) still gets in, up
        // to the ceiling: that message is what the others wait for.
        #expect(fed.deliver([Self.fragment(0, total: 4096, offset: 0, count: 100)]))
        var headPackets = 0
        offset = 101
        while offset < 4000, fed.deliver((0..<20).map { Self.fragment(0, total: 4096, offset: offset + 2 * $0, count: 1) }) {
            headPackets += 1
            offset += 40
        }
        #expect(headPackets > 0)
        #expect(fed.connection.receiveMemory <= fed.connection.receiveMemoryCeiling)
        #expect(fed.connection.receiveMemory > fed.connection.receiveMemoryLimit)
    }

    /// An endpoint with three plain connections from addresses 1, 2, 3 and a small budget.
    static func endpointWithConnections(budget: Int) -> (Endpoint, [ConnectionID: Int]) {
        var configuration = EndpointConfiguration(acceptsConnections: true)
        configuration.receiveMemoryBudget = budget
        let endpoint = Endpoint(configuration: configuration, randomness: SeededGenerator(seed: 9))
        var serverIDs: [ConnectionID: Int] = [:]
        for address in 1...3 {
            var connect = Packet(
                destination: .none, packetNumber: 0,
                body: .connect(TransportParameters(sourceConnectionID: ConnectionID(UInt64(address))), cookie: [])
            ).serialized()
            Datagram.seal(&connect)
            endpoint.handle(datagram: connect, from: PeerAddress(node: address), at: .zero)
            while let (datagram, destination) = endpoint.pollTransmit(at: .zero) {
                if let packet = try? Datagram.open(datagram), case .accept(let params) = packet.body {
                    serverIDs[params.sourceConnectionID] = destination.node!
                }
            }
        }
        return (endpoint, serverIDs)
    }

    static func data(to id: ConnectionID, number: UInt64, _ frames: [Frame]) -> [UInt8] {
        var bytes = Packet(destination: id, packetNumber: number, body: .data(frames)).serialized()
        Datagram.seal(&bytes)
        return bytes
    }

    @Test func theBudgetClosesTheLargestHolderFirst() {
        let (endpoint, ids) = Self.endpointWithConnections(budget: 40_000)
        let byAddress = Dictionary(uniqueKeysWithValues: ids.map { ($0.value, $0.key) })
        // Address 1 holds 20 KB, address 2 holds 10 KB (out-of-order data).
        for (address, count) in [(1, 20), (2, 10)] {
            for i in 0..<count {
                let frame = Self.fragment(0, total: 100_000, offset: 1000 * (i + 1), count: 1000)
                endpoint.handle(
                    datagram: Self.data(to: byAddress[address]!, number: UInt64(i + 1), [frame]), from: PeerAddress(node: address),
                    at: .zero)
            }
        }
        #expect(endpoint.statistics.connectionsClosedForMemory == 0)
        // Address 3 now brings 12 more fragments in one datagram: address 1 must go, not 2 or 3.
        let frames = (0..<12).map { Self.fragment(0, total: 100_000, offset: 1000 * ($0 + 1), count: 1000) }
        endpoint.handle(datagram: Self.data(to: byAddress[3]!, number: 1, frames), from: 3, at: .zero)
        #expect(endpoint.statistics.connectionsClosedForMemory == 1)
        #expect(endpoint.connection(byAddress[1]!)?.endingReason == .resourceLimit)
        #expect(endpoint.connection(byAddress[1]!)?.receiveMemory == 0)
        #expect(endpoint.connection(byAddress[2]!)?.endingReason == nil)
        #expect(endpoint.connection(byAddress[3]!)?.receiveMemory ?? 0 > 12_000)
        #expect(endpoint.receiveMemory <= 40_000)
        // The closed connection tells its peer why.
        var closes: [(Int, CloseCode)] = []
        while let (datagram, destination) = endpoint.pollTransmit(at: .zero) {
            if let packet = try? Datagram.open(datagram), case .data(let frames) = packet.body {
                for case .close(let close) in frames { closes.append((destination.node!, close.code)) }
            }
        }
        #expect(closes.map(\.0) == [1])
        #expect(closes.map(\.1) == [.resourceLimit])
    }

    @Test func theReceivingConnectionClosedForTheBudgetDropsItsDatagram() {
        let (endpoint, ids) = Self.endpointWithConnections(budget: 30_000)
        let byAddress = Dictionary(uniqueKeysWithValues: ids.map { ($0.value, $0.key) })
        for i in 0..<20 {
            let frame = Self.fragment(0, total: 100_000, offset: 1000 * (i + 1), count: 1000)
            endpoint.handle(datagram: Self.data(to: byAddress[1]!, number: UInt64(i + 1), [frame]), from: 1, at: .zero)
        }
        let connection = endpoint.connection(byAddress[1]!)!
        let accepted = connection.packetsAccepted
        let frames = (0..<10).map { Self.fragment(0, total: 100_000, offset: 30_000 + 1000 * $0, count: 1000) }
        endpoint.handle(datagram: Self.data(to: byAddress[1]!, number: 21, frames), from: 1, at: .zero)
        #expect(connection.packetsAccepted == accepted)  // dropped unprocessed
        #expect(connection.endingReason == .resourceLimit)
        #expect(endpoint.statistics.connectionsClosedForMemory == 1)
        #expect(endpoint.receiveMemory == 0)
    }
}
