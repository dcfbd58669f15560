import Foundation
import RUDPCore
import RUDPWire
import Testing

/// The guarantee of the timer table (issue 14): after `handleTimeout(at: now)` and draining
/// `pollTransmit`, `nextDeadline()` is nil or later than `now`. ``Pair`` checks it at every timer
/// step of every test; these seeded scenarios push every timer at once: loss both ways, several
/// delays, small and large messages in every mode, keep-alives, the application idle limit,
/// flow control, a small datagram size, and a graceful close at the end.
@Suite struct TimerGuaranteeTests {
    /// Seeds 1 ... 120 by default (under a second); `RUDP_TIMER_SEEDS=N` runs 1 ... N,
    /// `RUDP_TIMER_SEEDS=A-B` runs A ... B.
    static let seeds: [UInt64] = {
        let spec = ProcessInfo.processInfo.environment["RUDP_TIMER_SEEDS"] ?? "120"
        let bounds = spec.split(separator: "-").compactMap { UInt64($0) }
        if bounds.count == 2, bounds[0] <= bounds[1] { return Array(bounds[0]...bounds[1]) }
        return Array(1...max(bounds.first ?? 120, 1))
    }()

    @Test(arguments: seeds)
    func deadlinesMoveOnAfterEveryTimeout(seed: UInt64) throws {
        var rng = SeededGenerator(seed: seed &* 0x9E37_79B9_7F4A_7C15)
        func draw(_ n: UInt64) -> Int { Int(rng.next() % n) }

        var config = ConnectionConfiguration()
        config.maxDatagramSize = [256, 300, 576, 1200, 1400][draw(5)]
        config.keepAliveInterval = [nil, .milliseconds(50), .seconds(1)][draw(3)]
        config.applicationIdleTimeout = draw(4) == 0 ? .milliseconds(500 + draw(1000)) : nil
        config.receiveWindow = [1 << 20, 4 << 20][draw(2)]
        config.maxMessageSize = min(config.receiveWindow, 1 << 20)
        config.minimumRTO = .milliseconds(1 + draw(20))
        let pair = Pair(clientConfig: config, serverConfig: config, seed: seed)
        pair.latency = .microseconds(100 + draw(80_000))
        let lossToServer = Double(draw(30)) / 100, lossToClient = Double(draw(30)) / 100
        var lossRandom = SeededGenerator(seed: seed ^ 0x6C6F_7373)
        pair.filter = { _, toServer in
            lossRandom.nextUnitDouble() >= (toServer ? lossToServer : lossToClient)
        }

        let c = pair.connect()
        _ = pair.drive(for: .seconds(20)) { pair.serverConnection != nil && pair.client.connection(c)?.state == .established }
        let count = 1 + draw(40)
        var reliable = 0
        for i in 0..<count {
            let size = [0, 1, 100, 1000, 3000, 20_000][draw(6)]
            let mode: DeliveryMode = [.reliableOrdered, .reliableUnordered, .unreliable][draw(3)]
            if mode.isReliable { reliable += 1 }
            _ = try? pair.client.send(
                Array(repeating: UInt8(truncatingIfNeeded: i), count: size), on: c,
                channel: UInt8(draw(3)), mode: mode)
            if draw(4) == 0 { _ = pair.step() }
        }
        _ = pair.drive(for: .seconds(30)) {
            pair.serverMessages.filter { $0.mode.isReliable }.count >= reliable || pair.closeReason(pair.clientEvents) != nil
        }
        // Idle for a while (keep-alives, the application idle limit), then close.
        _ = pair.drive(for: .milliseconds(300 + draw(2000))) { false }
        pair.client.close(c, at: pair.now)
        // A graceful close at 29% loss with 20 KB messages still in flight can take minutes.
        _ = pair.drive(for: .seconds(600)) {
            pair.closeReason(pair.clientEvents) != nil && pair.closeReason(pair.serverEvents) != nil
        }
        #expect(pair.staleDeadlines == 0, "seed \(seed): \(pair.staleDeadlines) of \(pair.timerSteps) timer steps left a deadline due")
        #expect(pair.closeReason(pair.clientEvents) != nil, "seed \(seed): the client never ended")
    }
}
