import Foundation
import RUDPCore
import RUDPSecurity
import RUDPWire
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What security costs the engine (`RUDP_SECURITY_BENCH=1 swift test -c release --filter SecurityCostBenchmark`):
/// CPU time of a whole handshake (client and server endpoints, over the Pair harness), of sealing
/// and opening one full-size packet, and of a bulk transfer between two engines, plain and in
/// both modes. Medians of 5 runs; reports numbers, asserts nothing about speed.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["RUDP_SECURITY_BENCH"] != nil))
struct SecurityCostBenchmark {
    static func cpuSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    static func median(_ runs: Int = 5, _ body: () -> Double) -> Double {
        let values = (0..<runs).map { _ in body() }.sorted()
        return values[runs / 2]
    }

    static func pair(_ mode: SecurityMode?, seed: UInt64) -> Pair {
        guard let mode else { return Pair(seed: seed) }
        return SecurityTestSupport.pair(mode, seed: seed)
    }

    @Test func handshakeCost() {
        for mode in [SecurityMode?.none, .authenticated, .encrypted] {
            let count = 2000
            let seconds = Self.median {
                let start = Self.cpuSeconds()
                for i in 0..<count {
                    let pair = Self.pair(mode, seed: UInt64(i))
                    pair.latency = .zero
                    pair.connect()
                    _ = pair.drive { pair.serverConnection != nil && !pair.clientEvents.isEmpty }
                }
                return Self.cpuSeconds() - start
            }
            print(
                "handshake \(mode.map { "\($0)" } ?? "plain"): \(String(format: "%.1f", seconds / Double(count) * 1e6)) µs CPU per connection (both endpoints, median of 5 × \(count))"
            )
        }
    }

    @Test func sealAndOpenCost() throws {
        let keys = try KeySchedule.sessionKeys(
            psk: SecurityTestSupport.key, clientRandom: HandshakeRandom(bytes: Array(repeating: 1, count: 32)),
            serverRandom: HandshakeRandom(bytes: Array(repeating: 2, count: 32)),
            clientConnectionID: ConnectionID(1), serverConnectionID: ConnectionID(2))
        let payload = [UInt8](repeating: 0x5a, count: 1200 - Packet.headerSize - 16)
        let count = 200_000
        for mode in [SecurityMode.none, .authenticated, .encrypted] {
            let seconds = Self.median {
                let sender = try! SessionProtection(mode: mode == .none ? .encrypted : mode, keys: keys, isClient: true)
                let receiver = try! SessionProtection(mode: mode == .none ? .encrypted : mode, keys: keys, isClient: false)
                let start = Self.cpuSeconds()
                for pn in 0..<UInt64(count) {
                    var bytes: [UInt8] = []
                    bytes.reserveCapacity(1200)
                    Packet.writeHeader(type: .data, destination: ConnectionID(2), packetNumber: pn, into: &bytes)
                    bytes.append(contentsOf: payload)
                    if mode == .none {
                        Datagram.seal(&bytes)
                        _ = bytes.withUnsafeBytes { try? Datagram.verify($0) }
                    } else {
                        _ = sender.seal(&bytes)
                        _ = receiver.open(&bytes)
                    }
                }
                return Self.cpuSeconds() - start
            }
            let perPacket = seconds / Double(count)
            print(
                "seal+open \(mode) (1,200-byte datagrams): \(String(format: "%.0f", perPacket * 1e9)) ns per packet, \(String(format: "%.0f", 1200 / perPacket / 1e6)) MB/s"
            )
        }
    }

    @Test func bulkTransferCost() throws {
        let messages = 20_000
        let message = [UInt8](repeating: 7, count: 1024)
        var results: [String: Double] = [:]
        for mode in [SecurityMode?.none, .authenticated, .encrypted] {
            let seconds = Self.median {
                let pair = Self.pair(mode, seed: 3)
                pair.latency = .milliseconds(1)
                let id = pair.connect()
                _ = pair.drive { pair.serverConnection != nil }
                let start = Self.cpuSeconds()
                var sent = 0
                _ = pair.drive(for: .seconds(3600)) {
                    while sent < messages, (try? pair.client.send(message, on: id)) != nil { sent += 1 }
                    if pair.serverEvents.count > 1000 { pair.serverEvents.removeAll(keepingCapacity: true) }
                    return sent == messages && pair.client.connection(id)?.isSendBufferEmpty == true
                }
                return Self.cpuSeconds() - start
            }
            let name = mode.map { "\($0)" } ?? "plain"
            results[name] = seconds
            print(
                "engine bulk \(name): \(String(format: "%.3f", seconds)) s CPU for \(messages) × 1 KiB (\(String(format: "%.0f", Double(messages) / seconds)) msg/s)"
            )
        }
        if let plain = results["plain"], let encrypted = results["encrypted"], let authenticated = results["authenticated"] {
            print(
                "engine throughput ratio: authenticated/plain \(String(format: "%.2f", plain / authenticated)), encrypted/plain \(String(format: "%.2f", plain / encrypted))"
            )
        }
    }
}
