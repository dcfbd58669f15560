import RUDPCore

/// The per-input check of the connection-engine fuzz target, also replayed by the unit tests.
///
/// The input is an ``EngineFuzzProgram``: a client and a server ``Endpoint`` with small limits,
/// and a sequence of ``EngineFuzzOperation``s (sends, deliveries, drops, reorders, duplicates,
/// replays, corrupted and injected datagrams, time passing, timers, closes, aborts, new
/// connections, credit releases). Everything is derived from the input bytes, so a run is
/// reproduced exactly by its input. After every operation the harness asserts:
///
/// - every delivered message is byte for byte a message the other side sent, on the matching
///   connection, channel and mode, delivered at most once, and in send order on reliable-ordered
///   channels (skipped for a side after it accepted a datagram with a forged valid checksum,
///   which an unauthenticated protocol cannot tell from a real one);
/// - events make sense: `.connected` at most once, `.acknowledged`/`.failed` only for a pending
///   reliable message and at most once, `.writable` only after a refused send, every reliable
///   message settled before `.closed`, nothing after `.closed`, `closedLocally`/`aborted` only
///   after `close`/`abort`, and no `protocolViolation` or `flowControlViolation` close unless a
///   side accepted a forged datagram (the peer is a correct engine);
/// - memory stays bounded: connection counts, send buffers, held-back reliable bytes within the
///   receive window, datagram sizes, and no endless stream of datagrams, events or due timers;
/// - addresses (path validation, `Specs/PROTOCOL.md` section 7.4): the client's NAT binding
///   may change (``EngineFuzzOperation/rebindClient``) and forged PATH frames arrive
///   (``EngineFuzzOperation/injectPathFrame``); the server never sends an address the client
///   never sent from more than 3× (plain) or 1× (secure) the bytes it received from it,
///   challenges included; a server connection moves only to an address the client really sent
///   from (in plain mode unless the server accepted a forgery); a client never changes the
///   server's address;
/// - liveness, after the last operation (unless a side accepted a forged datagram): once the
///   network delivers everything and the applications release all credit for a few virtual
///   seconds, no reliable message is still pending: each was acknowledged or reported failed.
///
/// ```swift
/// var program = EngineFuzzProgram()
/// program.append(.clientSend, 0, 20, 0, 0, 0, 0)
/// program.append(.drainNetwork)
/// EngineFuzzer.check(program.bytes)     // traps if an invariant breaks
/// ```
public enum EngineFuzzer {
    /// Runs the program in `bytes`; traps on the first violated invariant. With `secure`, both
    /// endpoints use packet security (see ``run(_:secure:)``).
    public static func check(_ bytes: [UInt8], secure: Bool = false) {
        if let violation = violation(in: bytes, secure: secure) {
            FuzzViolation.trap("EngineFuzzer\(secure ? " (secure)" : ""): \(violation)")
        }
    }

    /// Runs the program in `bytes` and returns the first violated invariant, or nil.
    public static func violation(in bytes: [UInt8], secure: Bool = false) -> FuzzViolation? {
        run(bytes, secure: secure).violation
    }

    /// Runs the program in `bytes` and reports what happened, including the first violation.
    ///
    /// With `secure` both endpoints run the secure handshake and protect every packet with the
    /// fuzz test key (``SecurityFuzzKeys/pskHex``), authenticated for an odd program seed and
    /// encrypted for an even one. Then no datagram is exempt from the provenance checks (a
    /// forged one must never be accepted), a datagram the client never sent must not create
    /// server state, and the server must never send an address the client never sent from more
    /// bytes than it received from it.
    ///
    /// `wrapServerHandshake` may replace the server's handshake hooks (secure mode only): the
    /// tests plant a broken one to show that these checks catch it.
    public static func run(
        _ bytes: [UInt8], secure: Bool = false,
        wrapServerHandshake: (any HandshakeSecurity) -> any HandshakeSecurity = { $0 }
    ) -> EngineFuzzReport {
        var input = FuzzInput(bytes)
        let harness = EngineFuzzHarness(header: &input, secure: secure, wrapServerHandshake: wrapServerHandshake)
        do {
            try harness.run(&input)
        } catch {
            harness.report.violation = error
        }
        harness.report.server = harness.server.endpoint.statistics
        return harness.report
    }

    /// Programs that exercise the normal paths (handshake, every delivery mode, fragmentation,
    /// loss, reordering, close, timeouts) under several configurations, plus one program per
    /// given datagram that injects it, aimed at a live connection, into both endpoints. With
    /// `secure`, the exchanges deliver the extra round trip of the secure handshake (RETRY and
    /// the CONNECT that echoes its cookie) before the first sends.
    public static func seedPrograms(datagrams: [[UInt8]], secure: Bool = false) -> [[UInt8]] {
        var programs: [[UInt8]] = []
        for flags: UInt8 in [0x00, 0x01, 0x02, 0x4c, 0x18, 0x20, 0x80, 0xff] {
            programs.append(exchange(flags: flags, lossy: false, secure: secure).bytes)
            programs.append(exchange(flags: flags, lossy: true, secure: secure).bytes)
        }
        for flags: UInt8 in [0x02, 0x06] {
            for mode: UInt8 in [0, 1] {
                programs.append(reorderedAcrossWrap(flags: flags, mode: mode).bytes)
            }
        }
        // The server's admission (seed bits, EngineFuzzProgram): RETRY always or beyond one
        // half-open connection, tight caps (eviction, refusals), 1 s cookies that expire, and a
        // CONNECT replayed with an old cookie.
        for seed: UInt16 in [0b0_1010, 0b1_1010, 0b0_0100, 0b0_1100, 0b1_0010] {
            var program = EngineFuzzProgram(flags: 0, seed: seed)
            program.append(.drainNetwork)
            for _ in 0..<3 { program.append(.connect) }
            program.append(.deliverSome, 5)
            program.append(.advanceTime, 5)
            program.append(.replay, 1, 1)
            program.append(.drainNetwork)
            for index: UInt8 in 0..<4 { program.append(.clientSend, index, 20, 0, 0, 0, 0) }
            program.append(.drainNetwork)
            for _ in 0..<6 {
                program.append(.runToDeadline)
                program.append(.drainNetwork)
            }
            programs.append(program.bytes)
        }

        // Path validation: the client's NAT binding changes twice mid-transfer (the server must
        // follow only after a PATH_RESPONSE from the new address), then forged PATH frames: a
        // response echoing the server's challenge from a third address, a challenge to the
        // client, a stale response.
        for flags: UInt8 in [0x00, 0x20, 0x80] {
            var program = EngineFuzzProgram(flags: flags, seed: 0x51 | UInt16(flags))
            for _ in 0..<(secure ? 2 : 1) {
                program.append(.deliverToServer)
                program.append(.deliverToClient)
            }
            program.append(.drainNetwork)
            for round in 0..<2 {
                for _ in 0..<4 { program.append(.clientSend, 0, 200, 0x03, 0x00, 0, 0) }  // 768 bytes each
                program.append(.serverSend, 0, 255, 0x04, 0x00, 1, 0)
                program.append(.deliverSome, 3)
                program.append(.rebindClient)
                program.append(.clientSend, 0, 20, 0, 0, 0, 0)
                if round == 0 {
                    // The first datagram from the new address makes the server challenge it; a
                    // copy of the answer from a third address (echoing the challenge) comes first.
                    program.append(.drainNetwork)
                    program.append(.rebindClient)
                    program.append(.clientSend, 0, 20, 0, 0, 0, 0)
                    program.append(.deliverToServer)
                    program.append(.injectPathFrame, arguments: [1, 1, 0b0000_0011] + [UInt8](repeating: 0, count: 8))
                } else {
                    program.append(.deliverMutated, 1, 5, 0, 0, 0)  // one from address 2 as well
                }
                program.append(.drainNetwork)
                program.append(.runToDeadline)
                program.append(.drainNetwork)
            }
            program.append(.clientSend, 0, 20, 0, 0, 0, 0)
            program.append(.deliverToServer)
            program.append(.injectPathFrame, arguments: [1, 1, 0b0000_0011] + [UInt8](repeating: 0, count: 8))  // echo, from 3
            program.append(.injectPathFrame, arguments: [0, 0, 0b0000_0000] + (1...8).map { UInt8($0) })  // challenge to the client
            program.append(.injectPathFrame, arguments: [1, 2, 0b0000_1001] + (1...8).map { UInt8($0) })  // stale response, from 6
            program.append(.drainNetwork)
            for _ in 0..<6 {
                program.append(.runToDeadline)
                program.append(.drainNetwork)
            }
            programs.append(program.bytes)
        }

        var idle = EngineFuzzProgram(flags: 0, seed: 7)
        idle.append(.drainNetwork)
        for _ in 0..<12 { idle.append(.runToDeadline) }
        idle.append(.advanceTime, 6)
        idle.append(.handleTimeouts)
        idle.append(.drainNetwork)
        programs.append(idle.bytes)

        for (index, datagram) in datagrams.enumerated() where datagram.count <= 255 {
            var program = EngineFuzzProgram(flags: 0, seed: UInt16(truncatingIfNeeded: index))
            program.append(.drainNetwork)
            program.append(.clientSend, 0, 20, 0, 0, 0, 0)
            program.append(.drainNetwork)
            for direction: UInt8 in [1, 0] {
                program.append(.inject, direction, 0, 0b11, UInt8(datagram.count))
                program.appendRaw(datagram)
                program.append(.drainNetwork)
            }
            programs.append(program.bytes)
        }
        return programs
    }

    /// Eight messages on one channel, sequence numbers starting just below the 32-bit wrap, the
    /// first one overtaken by the others, then a loss: ordering and duplicate detection across
    /// the wrap.
    private static func reorderedAcrossWrap(flags: UInt8, mode: UInt8) -> EngineFuzzProgram {
        var program = EngineFuzzProgram(flags: flags, seed: 0x3A0 | UInt16(mode))
        program.append(.drainNetwork)
        for _ in 0..<8 { program.append(.clientSend, 0, 20, 0, 0, 0, mode) }
        program.append(.reorder, 1, 7)
        program.append(.deliverSome, 3)
        program.append(.drop, 1)
        program.append(.drainNetwork)
        for _ in 0..<4 {
            program.append(.runToDeadline)
            program.append(.drainNetwork)
        }
        return program
    }

    private static func exchange(flags: UInt8, lossy: Bool, secure: Bool) -> EngineFuzzProgram {
        var program = EngineFuzzProgram(flags: flags, seed: UInt16(flags) << 1 | (lossy ? 1 : 0))
        for _ in 0..<(secure ? 2 : 1) {
            program.append(.deliverToServer)
            program.append(.deliverToClient)
        }
        let modes: [UInt8] = [0, 1, 2]
        for mode in modes {
            program.append(.clientSend, 0, 12, 0, 0, mode % 2, mode)  // short, tagged
            program.append(.clientSend, 0, 200, 0x05, 0xdc, 1, mode)  // 1500 bytes: fragments
            program.append(.serverSend, 0, 3, 0, 0, 0, mode)  // untagged
            program.append(.serverSend, 0, 255, 0x04, 0x00, 1, mode)  // 1024 bytes
        }
        if lossy {
            program.append(.drop, 0)
            program.append(.reorder, 1, 3)
            program.append(.duplicate, 0)
            program.append(.deliverMutated, 1, 0, 0, 20, 4)
            program.append(.deliverMutated, 0, 1, 0, 30, 0)
            program.append(.replay, 1, 0)
            program.append(.deliverSome, 7)
            program.append(.advanceTime, 3)
            program.append(.runToDeadline)
        }
        program.append(.drainNetwork)
        program.append(.releaseCredit, 0, 7)
        program.append(.releaseCredit, 1, 7)
        for _ in 0..<4 {
            program.append(.runToDeadline)
            program.append(.drainNetwork)
        }
        program.append(.connect)
        program.append(.drainNetwork)
        program.append(.serverSend, 1, 40, 0, 0, 0, 0)
        program.append(.close, 0, 0)
        program.append(.abort, 1, 1)
        for _ in 0..<6 {
            program.append(.drainNetwork)
            program.append(.runToDeadline)
        }
        return program
    }
}
