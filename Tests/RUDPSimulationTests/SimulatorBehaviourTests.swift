import RUDPCore
import RUDPImpairment
import RUDPSimulation
import Testing

@Suite("Simulator behaviour")
struct SimulatorBehaviourTests {
    @Test func updateLinkTakesEffectForLaterDatagrams() {
        // Sends at 5, 15, 25, … ms so no send coincides with an update.
        let scenario = SenderSinkScenario(
            seed: 11, options: LinkOptions(delay: .milliseconds(10)), count: 300,
            interval: .milliseconds(10), start: ms(5))
        let simulator = scenario.simulator
        simulator.run(until: ms(1_000))
        simulator.updateLink(
            from: scenario.senderAddress, to: scenario.sinkAddress,
            options: LinkOptions(delay: .milliseconds(10), loss: 1))
        simulator.run(until: ms(2_000))
        simulator.updateLink(
            from: scenario.senderAddress, to: scenario.sinkAddress,
            options: LinkOptions(delay: .milliseconds(30)))
        simulator.run(until: ms(4_000))

        #expect(
            simulator.link(from: scenario.senderAddress, to: scenario.sinkAddress)?.options.delay
                == .milliseconds(30))
        let arrivals = scenario.sink.arrivals
        #expect(arrivals.count == 200, "\(scenario.context)")
        for arrival in arrivals {
            let sent = scenario.sender.sendTimes[arrival.sequence]
            #expect(!(ms(1_000)..<ms(2_000)).contains(sent))
            #expect(arrival.time - sent == (sent < ms(1_000) ? .milliseconds(10) : .milliseconds(30)))
        }
        #expect(scenario.statistics.droppedByLoss == 100, "\(scenario.context)")
    }

    @Test func livelockGuardKeepsTheClockMoving() {
        let simulator = NetworkSimulator(seed: 12, recordTrace: true, livelockBackoff: .milliseconds(1))
        let spinner = SpinningNode()
        _ = simulator.addNode(spinner)
        simulator.run(for: .milliseconds(50))
        #expect(simulator.now == ms(50))
        // One call at each of the instants 0, 1, …, 50 ms; deferred after each (the last to 51 ms).
        #expect(spinner.timeouts.count == 51, "\(simulator.report)")
        #expect(spinner.timeouts.first == .zero && spinner.timeouts.last == ms(50))
        #expect(simulator.livelockDeferrals == 51, "\(simulator.report)")
        #expect(simulator.trace.contains { $0.event == .timerDeferred(node: SimulatedAddress(node: 0)) })
    }

    /// The timer guarantee (issue 14): one `handleTimeout` per instant. A node that needs more
    /// to catch up is deferred each time its deadline stays due.
    @Test func aDeadlineLeftDueIsDeferredEachTime() {
        let simulator = NetworkSimulator(seed: 13)
        let node = SpinningNode(limit: 10)
        _ = simulator.addNode(node)
        simulator.run(for: .milliseconds(50))
        #expect(node.timeouts == (0..<10).map { ms($0) })
        #expect(simulator.livelockDeferrals == 9)
        #expect(simulator.step() == false)
    }

    @Test func staleTimersAreIgnored() {
        let simulator = NetworkSimulator(seed: 14)
        let moved = RetimingNode(deadline: ms(100), deadlineAfterReceive: ms(200))
        let cancelled = RetimingNode(deadline: ms(100), deadlineAfterReceive: nil)
        let movedAddress = simulator.addNode(moved)
        let cancelledAddress = simulator.addNode(cancelled)
        let senderA = simulator.addNode(
            SenderNode(
                to: movedAddress, count: 1, interval: .milliseconds(1),
                start: ms(40)))
        let senderB = simulator.addNode(
            SenderNode(
                to: cancelledAddress, count: 1, interval: .milliseconds(1),
                start: ms(40)))
        simulator.connect(senderA, movedAddress, options: LinkOptions(delay: .milliseconds(10)))
        simulator.connect(senderB, cancelledAddress, options: LinkOptions(delay: .milliseconds(10)))
        simulator.run(until: ms(1_000))
        #expect(moved.timeouts == [ms(200)])
        #expect(cancelled.timeouts.isEmpty)

        // A node changed from outside is not woken at its old deadline, and poll(_:) picks up
        // the new one.
        moved.deadline = ms(1_500)
        simulator.poll(movedAddress)
        moved.deadline = ms(1_700)
        simulator.run(until: ms(2_000))
        #expect(moved.timeouts == [ms(200), ms(1_700)])
    }

    @Test func datagramsWithoutALinkAreDroppedAndCounted() {
        let simulator = NetworkSimulator(seed: 15, recordTrace: true)
        let sink = SinkNode()
        let sender = SenderNode(to: SimulatedAddress(node: 1), count: 5, interval: .milliseconds(1))
        let stray = SenderNode(to: SimulatedAddress(node: 99), count: 2, interval: .milliseconds(1))
        let a = simulator.addNode(sender)
        let b = simulator.addNode(sink)
        _ = simulator.addNode(stray)
        simulator.connect(b, a, options: LinkOptions())  // the wrong direction only
        simulator.run(for: .seconds(1))
        #expect(sink.arrivals.isEmpty)
        #expect(simulator.unroutableCount == 7)
        #expect(
            simulator.trace.filter {
                if case .dropped(_, _, _, _, .unroutable) = $0.event { true } else { false }
            }.count == 7)
        #expect(simulator.totalStatistics.sent == 0)
    }

    @Test func runUntilStopsWhenTheConditionHolds() {
        let scenario = SenderSinkScenario(
            seed: 16, options: LinkOptions(delay: .milliseconds(10)), count: 100,
            interval: .milliseconds(1))
        let simulator = scenario.simulator
        let sink = scenario.sink
        #expect(simulator.runUntil(deadline: ms(1_000)) { sink.arrivals.count == 50 })
        #expect(simulator.now == ms(59))
        #expect(!simulator.runUntil(deadline: ms(1_000)) { sink.arrivals.count > 100 })
        #expect(simulator.now == ms(1_000))
        #expect(sink.arrivals.count == 100)
        #expect(simulator.step() == false)
        #expect(simulator.now == ms(1_000))
    }

    @Test func stepProcessesOneEventAtATime() {
        let scenario = SenderSinkScenario(
            seed: 17, options: LinkOptions(delay: .milliseconds(10)), count: 2,
            interval: .milliseconds(1))
        let simulator = scenario.simulator
        var times: [Timestamp] = []
        while simulator.step() { times.append(simulator.now) }
        // Two polls at 0, sends at 0 and 1 ms, deliveries at 10 and 11 ms.
        #expect(times == [.zero, .zero, .zero, ms(1), ms(10), ms(11)])
        #expect(scenario.sink.arrivals.count == 2)
    }

    @Test func simultaneousEventsRunInInsertionOrder() {
        let simulator = NetworkSimulator(seed: 18)
        let sink = SinkNode()
        let sinkAddress = simulator.addNode(sink)
        let first = simulator.addNode(SenderNode(to: sinkAddress, count: 50, interval: .milliseconds(1)))
        let second = simulator.addNode(SenderNode(to: sinkAddress, count: 50, interval: .milliseconds(1)))
        simulator.connect(first, sinkAddress, options: LinkOptions(delay: .milliseconds(3)))
        simulator.connect(second, sinkAddress, options: LinkOptions(delay: .milliseconds(3)))
        simulator.run(for: .seconds(1))
        let sources = sink.arrivals.map(\.source)
        #expect(sources == Array(repeating: [first, second], count: 50).flatMap { $0 })
    }

    @Test func echoRoundTripTakesBothDelays() {
        let simulator = NetworkSimulator(seed: 19)
        let echo = EchoNode()
        let echoAddress = simulator.addNode(echo)
        let sender = SenderNode(to: echoAddress, count: 10, interval: .milliseconds(5))
        let senderAddress = simulator.addNode(sender)
        simulator.connectBidirectional(
            senderAddress, echoAddress, forward: LinkOptions(delay: .milliseconds(7)),
            backward: LinkOptions(delay: .milliseconds(13)))
        simulator.run(for: .seconds(1))
        #expect(sender.replies.count == 10)
        for (index, reply) in sender.replies.enumerated() {
            #expect(sequenceNumber(of: reply.datagram) == index)
            #expect(reply.time == sender.sendTimes[index] + .milliseconds(20))
        }
        #expect(simulator.totalStatistics.delivered == 20)
        #expect(simulator.links.count == 2)
    }
    /// A NAT rebinding: the sender appears to the echo under a new address from the moment of
    /// the rebinding (datagrams in flight keep the old one), the echo's replies to the new
    /// address reach it, and those to the old address are unroutable.
    @Test func rebindingGivesANodeANewAddressTowardsOnePeer() {
        let simulator = NetworkSimulator(seed: 20)
        let echo = EchoNode()
        let echoAddress = simulator.addNode(echo)
        let sender = SenderNode(to: echoAddress, count: 20, interval: .milliseconds(10))
        let senderAddress = simulator.addNode(sender)
        let sink = SinkNode()
        let sinkAddress = simulator.addNode(sink)
        simulator.connectBidirectional(senderAddress, echoAddress, options: LinkOptions(delay: .milliseconds(15)))
        simulator.connect(echoAddress, sinkAddress, options: LinkOptions(delay: .milliseconds(1)))
        simulator.run(until: ms(92))  // sent at 0, 10, ..., 90 ms; those of 80 and 90 are in flight
        #expect(simulator.externalAddress(of: senderAddress, toward: echoAddress) == senderAddress)
        let external = simulator.rebind(senderAddress, toward: echoAddress)
        #expect(external.node >= 1_000_000 && external != senderAddress)
        #expect(simulator.externalAddress(of: senderAddress, toward: echoAddress) == external)
        #expect(simulator.externalAddress(of: senderAddress, toward: sinkAddress) == senderAddress, "other peers see no change")
        simulator.run(for: .seconds(1))
        // Sent before the rebinding: 0...9 (echoed to the old address; 8 and 9 arrive after it, so
        // their replies are unroutable); after it: 10...19, echoed to the new address.
        #expect(sender.replies.map { sequenceNumber(of: $0.datagram) } == Array(0..<8) + Array(10..<20))
        #expect(simulator.unroutableCount == 2, "\(simulator.report)")
        // A second rebinding forgets the first external address.
        let second = simulator.rebind(senderAddress, toward: echoAddress)
        #expect(second != external)
        #expect(simulator.externalAddress(of: senderAddress, toward: echoAddress) == second)
    }

    /// Datagrams that arrive at one instant are all handed over before the node is polled, as a
    /// socket's vector read would; datagrams of other instants are not merged.
    @Test func datagramsOfAnInstantArriveBeforeTheNodeIsPolled() {
        let simulator = NetworkSimulator(seed: 21)
        let echo = DirectEchoNode()
        let echoAddress = simulator.addNode(echo)
        // Five datagrams every 10 ms, all five of a batch arriving 7 ms later at one instant.
        let sender = SenderNode(to: echoAddress, count: 50, interval: .milliseconds(10), size: 100, batch: 5)
        let senderAddress = simulator.addNode(sender)
        simulator.connectBidirectional(senderAddress, echoAddress, options: LinkOptions(delay: .milliseconds(7)))
        simulator.run(for: .seconds(1))
        #expect(echo.batches == Array(repeating: 5, count: 10), "\(simulator.report)")
        #expect(sender.replies.count == 50)
        for (index, reply) in sender.replies.enumerated() {
            #expect(reply.datagram == payload(index, size: 100))
            #expect(reply.time == sender.sendTimes[index] + .milliseconds(14))
        }
        #expect(simulator.totalStatistics.delivered == 100)
    }

    /// A node that reads and writes the simulator's buffers sees the bytes a link delivers,
    /// corrupted and duplicated ones included, and its replies arrive intact.
    @Test func directNodesSeeWhatTheLinkDelivers() {
        let simulator = NetworkSimulator(seed: 22)
        let echo = DirectEchoNode()
        let echoAddress = simulator.addNode(echo)
        let sender = SenderNode(to: echoAddress, count: 400, interval: .milliseconds(1), size: 1_200)
        let senderAddress = simulator.addNode(sender)
        var forward = LinkOptions(delay: .milliseconds(5), loss: 0.1)
        forward.duplication = 0.2
        forward.corruption = 0.2
        forward.reordering = 0.1
        simulator.connect(senderAddress, echoAddress, options: forward)
        simulator.connect(echoAddress, senderAddress, options: LinkOptions(delay: .milliseconds(5)))
        simulator.run(for: .seconds(2))
        let statistics = simulator.statistics(from: senderAddress, to: echoAddress)!
        #expect(echo.received.count == statistics.delivered, "\(simulator.report)")
        #expect(statistics.duplicated > 0 && statistics.corrupted > 0 && statistics.droppedByLoss > 0)
        var intact = 0
        for arrival in echo.received where arrival.datagram == payload(sequenceNumber(of: arrival.datagram), size: 1_200) {
            intact += 1
        }
        // Every corrupted datagram differs from what was sent (a duplicate of one is corrupted too).
        #expect(echo.received.count - intact >= statistics.corrupted, "\(simulator.report)")
        #expect(intact > 0)
        // The replies carry exactly the bytes the echo received.
        #expect(sender.replies.map(\.datagram) == echo.received.map(\.datagram))
    }
}
