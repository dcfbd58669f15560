import RUDPCore
import RUDPImpairment
import RUDPSimulation
import RUDPWire

/// Runs an ``ExperimentSetup`` on the deterministic simulator with the real engine: a
/// ``WorkloadSenderNode`` sends the workload to a receiving `EndpointNode` over the setup's
/// links, the timeline changes the links as it goes, and the run is measured into an
/// ``ExperimentResult``. Virtual time only: a minute of a 10 Mbit/s link takes a fraction of a
/// second, and the same setup always gives the same result.
///
/// ```swift
/// var setup = ExperimentSetup()
/// setup.workload.messageCount = 10_000
/// setup.workload.duration = nil
/// let result = try ExperimentRunner.run(setup)
/// print(result.goodput, result.latencyP99 ?? 0, result.retransmissionRatio)
/// ```
public enum ExperimentRunner {
    /// How long a run with a duration keeps going after offering stopped, to deliver what is
    /// in flight (not counted in goodput).
    public static let drainLimit: Duration = .seconds(10)

    /// Runs `setup` once. Throws only if the setup is invalid (see ``ExperimentSetup/validate()``);
    /// a run that fails to deliver (dead link, connection closed) returns a result with
    /// `completed == false` and the reason.
    ///
    /// - Parameters:
    ///   - setup: the network, engine settings and workload to run.
    ///   - sampleInterval: the width of ``ExperimentResult/deliveredPerInterval``'s buckets.
    public static func run(_ setup: ExperimentSetup, sampleInterval: Duration = .seconds(1)) throws(ExperimentError) -> ExperimentResult {
        try setup.validate()
        guard sampleInterval >= .milliseconds(10) else { throw .invalidSetup("the sample interval must be at least 10 ms") }
        let (phases, partitionSpans) = try setup.schedule()
        let partitions = partitionSpans.map { (Timestamp.zero + $0.lowerBound)..<(Timestamp.zero + $0.upperBound) }
        let configuration = setup.configuration
        let workload = setup.workload

        let simulator = NetworkSimulator(seed: setup.seed)
        let sender = WorkloadSenderNode(configuration: configuration, seed: setup.seed &+ 1, workload: workload)
        let receiver = EndpointNode(
            configuration: EndpointConfiguration(connection: configuration, acceptsConnections: true),
            seed: setup.seed &+ 2)
        let senderAddress = simulator.addNode(sender)
        let receiverAddress = simulator.addNode(receiver)

        func forwardOptions(_ phase: Int) -> LinkOptions {
            var options = phases[phase].link
            options.partitions = partitions
            return options
        }
        simulator.connect(senderAddress, receiverAddress, options: forwardOptions(0))
        simulator.connect(receiverAddress, senderAddress, options: setup.reverse(of: forwardOptions(0)))

        // The receiver's tally.
        let intervalNanoseconds = sampleInterval.nanosecondsClamped
        let maxIntervals = Int(workload.runLimit.nanosecondsClamped / intervalNanoseconds) + 2
        var tally = ReceiverTally(intervalNanoseconds: intervalNanoseconds, maxIntervals: maxIntervals)
        var receiverConnection: Connection?
        receiver.onEvent = { id, event in
            guard case .message(let message) = event else {
                if case .connected = event, receiverConnection == nil { receiverConnection = receiver.endpoint.connection(id) }
                return
            }
            tally.record(message.buffer, at: simulator.now, offerDeadline: sender.offerDeadline)
        }

        sender.connect(to: receiverAddress, at: simulator.now)
        simulator.poll(senderAddress)

        // Runs until `deadline` or `condition`, applying the timeline's phases on the way.
        var nextPhase = 1
        func advance(to deadline: Timestamp, until condition: () -> Bool) -> Bool {
            while nextPhase < phases.count, Timestamp.zero + phases[nextPhase].start <= deadline {
                if simulator.runUntil(deadline: Timestamp.zero + phases[nextPhase].start, condition) { return true }
                let forward = forwardOptions(nextPhase)
                simulator.updateLink(from: senderAddress, to: receiverAddress, options: forward)
                simulator.updateLink(from: receiverAddress, to: senderAddress, options: setup.reverse(of: forward))
                nextPhase += 1
            }
            return simulator.runUntil(deadline: deadline, condition)
        }

        let limit = Timestamp.zero + workload.runLimit
        _ = advance(to: limit) { sender.start != nil || sender.closeReason != nil }
        var completed = false
        if let start = sender.start {
            let reliable = workload.mode.isReliable
            let countDone: () -> Bool = {
                guard let count = workload.messageCount else { return false }
                return reliable ? tally.delivered >= count : sender.isDrained(at: simulator.now)
            }
            let end = sender.offerDeadline.map { min($0, limit) } ?? limit
            completed = advance(to: end) { countDone() || sender.closeReason != nil } && countDone()
            if completed, !reliable {
                // Unreliable messages have left the sender: give the last ones time to arrive.
                let grace =
                    setup.link.delay * 2 + setup.link.jitter * 2 + setup.link.reorderExtraDelay
                    + queueDrainTime(setup.link) + .milliseconds(10)
                _ = advance(to: min(limit, simulator.now + grace)) { tally.delivered >= workload.messageCount ?? .max }
            }
            if !completed, workload.duration != nil, sender.closeReason == nil, simulator.now >= end {
                completed = true
                // Offering stopped: let what is in flight arrive (for its latency; it does not
                // count towards goodput), for at most `drainLimit`.
                let grace =
                    setup.link.delay * 2 + setup.link.jitter * 2 + setup.link.reorderExtraDelay
                    + queueDrainTime(setup.link) + .milliseconds(10)
                let drainEnd = min(limit, simulator.now + (reliable ? drainLimit : grace))
                _ = advance(to: drainEnd) {
                    (tally.delivered >= sender.accepted && sender.isDrained(at: simulator.now)) || sender.closeReason != nil
                }
            }
            _ = start
        }

        // The measurement window.
        let windowStart = sender.start ?? simulator.now
        var windowEnd = simulator.now
        if workload.messageCount != nil, completed, let lastDelivery = tally.lastDelivery,
            sender.offerDeadline.map({ lastDelivery <= $0 }) ?? true
        {
            windowEnd = max(windowStart, lastDelivery)
        } else if let deadline = sender.offerDeadline, deadline <= simulator.now {
            windowEnd = deadline
        }
        let window = windowEnd - windowStart
        let windowSeconds = Double(window.nanosecondsClamped) / 1e9

        let senderStats = sender.statistics
        let receiverStats = receiverConnection?.statistics ?? ConnectionStatistics()
        let senderWire = sender.endpoint.statistics.bytesSent
        let receiverWire = receiver.endpoint.statistics.bytesSent

        let schedule = LinkSchedule(phases: phases, partitions: partitionSpans)
        let bound = schedule.average(from: windowStart - .zero, to: windowEnd - .zero, partitioned: true)
        let capacity = schedule.average(from: windowStart - .zero, to: windowEnd - .zero, partitioned: false)
        let efficiency = payloadEfficiency(messageSize: workload.messageSize, datagramSize: configuration.maxDatagramSize)
        let intervalCount = tally.perInterval.count
        let boundPerInterval = (0..<intervalCount).map { index in
            schedule.average(from: sampleInterval * index, to: sampleInterval * (index + 1), partitioned: true)
        }

        return ExperimentResult(
            completed: completed,
            handshakeTime: sender.start.map { $0 - .zero },
            window: window,
            windowEnd: windowEnd - .zero,
            endTime: simulator.now - .zero,
            messagesOffered: sender.offered,
            messagesAccepted: sender.accepted,
            messagesRefused: sender.refused,
            messagesAcknowledged: sender.acknowledged,
            messagesDelivered: tally.delivered,
            payloadBytesInWindow: tally.deliveredBytes - tally.bytesAfterWindow,
            payloadBytesDelivered: tally.deliveredBytes,
            goodput: windowSeconds > 0 ? Double(tally.deliveredBytes - tally.bytesAfterWindow) / windowSeconds : 0,
            capacity: capacity,
            bound: bound,
            headerBound: bound.map { $0 * efficiency },
            latencyP50: tally.latency(atPercentile: 50),
            latencyP99: tally.latency(atPercentile: 99),
            latencyMax: tally.latencyMax,
            latencyMean: tally.latencyMean,
            retransmittedFragments: senderStats.fragmentsRetransmitted,
            retransmittedBytes: senderStats.bytesRetransmitted,
            duplicateFragments: receiverStats.duplicateFragmentsDropped,
            spuriousLosses: senderStats.spuriousLosses,
            packetsLost: senderStats.packetsLost,
            retransmissionTimeouts: senderStats.retransmissionTimeouts,
            fragmentsSent: sender.accepted
                * fragmentsPerMessage(messageSize: workload.messageSize, datagramSize: configuration.maxDatagramSize),
            senderWireBytes: senderWire,
            receiverWireBytes: receiverWire,
            senderPackets: sender.endpoint.statistics.datagramsSent,
            receiverPackets: receiver.endpoint.statistics.datagramsSent,
            overheadBytes: senderWire + receiverWire - tally.deliveredBytes,
            forwardLink: simulator.statistics(from: senderAddress, to: receiverAddress) ?? LinkStatistics(),
            backwardLink: simulator.statistics(from: receiverAddress, to: senderAddress) ?? LinkStatistics(),
            closeReason: sender.closeReason.map { "\($0)" },
            traceDigest: simulator.traceDigest,
            deliveredPerInterval: tally.perInterval,
            sampleInterval: sampleInterval,
            boundPerInterval: boundPerInterval
        )
    }

    /// How long the bottleneck queue takes to drain when full.
    private static func queueDrainTime(_ link: LinkOptions) -> Duration {
        guard let rate = link.bandwidth else { return .zero }
        return .nanoseconds(Int64(Double(link.queueCapacity) / Double(rate) * 1e9))
    }

    /// Payload bytes a fragment carries at most (the engine reserves room for control frames).
    static func fragmentPayload(datagramSize: Int) -> Int {
        max(1, datagramSize - Packet.headerSize - Datagram.trailerSize - MessageFrame.overhead - 44)
    }

    /// Fragments one message of `messageSize` bytes takes.
    static func fragmentsPerMessage(messageSize: Int, datagramSize: Int) -> Int {
        let payload = fragmentPayload(datagramSize: datagramSize)
        return max(1, (messageSize + payload - 1) / payload)
    }

    /// The share of the data direction's wire bytes that is payload, for back-to-back messages
    /// of `messageSize` bytes: small messages share a datagram, large ones are fragmented.
    public static func payloadEfficiency(messageSize: Int, datagramSize: Int) -> Double {
        let packetOverhead = Packet.headerSize + Datagram.trailerSize
        let frame = messageSize + MessageFrame.overhead
        if frame + packetOverhead <= datagramSize {
            let perDatagram = max(1, (datagramSize - packetOverhead) / frame)
            return Double(perDatagram * messageSize) / Double(packetOverhead + perDatagram * frame)
        }
        let fragments = fragmentsPerMessage(messageSize: messageSize, datagramSize: datagramSize)
        return Double(messageSize) / Double(messageSize + fragments * (packetOverhead + MessageFrame.overhead))
    }
}
