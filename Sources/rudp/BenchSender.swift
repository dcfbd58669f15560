import RUDP

/// What `rudp bench` sends its workload through: an RUDP connection, or the raw-UDP baseline's
/// sender (`--baseline`), so both runs execute the same sending code.
protocol BenchSender: Sendable {
    /// Queues one message, suspending while the send budget is full.
    nonisolated(nonsending) func sendBenchMessage(_ bytes: ByteBuffer) async throws
    /// Suspends until every message sent so far was acknowledged (the baseline: read by the receiver).
    nonisolated(nonsending) func waitUntilAllAcknowledged() async throws
}

extension BenchSender {
    /// Queues one message (``sendBenchMessage(_:)``).
    nonisolated(nonsending) func send(_ bytes: ByteBuffer) async throws {
        try await sendBenchMessage(bytes)
    }
}

extension RUDPConnection: BenchSender {
    nonisolated(nonsending) func sendBenchMessage(_ bytes: ByteBuffer) async throws {
        try await send(bytes, channel: 0, mode: .reliableOrdered)
    }
}

extension RawDatagramSender: BenchSender {
    nonisolated(nonsending) func sendBenchMessage(_ bytes: ByteBuffer) async throws {
        try await send(bytes)
    }
}
