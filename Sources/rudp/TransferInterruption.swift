import Dispatch
import RUDP
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What `rudp send` and `rudp recv` do on SIGINT or SIGTERM: tell the peer at once (the
/// connection is aborted with a CLOSE whose reason says which side was interrupted, so the
/// other side prints it and exits non-zero immediately), clean up, and exit with status 130.
///
/// ```swift
/// let interruption = TransferInterruption(side: "receiver", command: "recv") { FileDescriptor.remove(partialPath) }
/// await interruption.install()
/// interruption.attach(server)        // once bound
/// interruption.attach(connection)    // once a peer connected
/// ```
final class TransferInterruption: Sendable {
    private struct Targets {
        var server: RUDPServer?
        var connection: RUDPConnection?
        var interrupted = false
    }

    /// "sender" or "receiver": named in the CLOSE reason the peer prints.
    let side: String
    /// "send" or "recv": named in the local message.
    let command: String
    private let cleanup: @Sendable () -> String?
    private let targets = Mutex(Targets())

    /// `cleanup` runs once the peer was told; it returns a note for the local message (or nil).
    init(side: String, command: String, cleanup: @escaping @Sendable () -> String? = { nil }) {
        self.side = side
        self.command = command
        self.cleanup = cleanup
    }

    /// The reason text the peer receives, for example "the receiver was interrupted (SIGINT)".
    func reason(_ signal: Int32) -> String {
        "the \(side) was interrupted (\(TerminationSignal.name(signal)))"
    }

    /// Installs the SIGINT/SIGTERM handler (a second signal exits at once).
    func install() async {
        await TerminationSignal.install { [self] signal in
            // Whatever happens below, the process ends within two seconds.
            DispatchQueue.global().asyncAfter(deadline: .now() + 2) { exit(130) }
            Task {
                let (server, connection) = targets.withLock { targets in
                    targets.interrupted = true
                    return (targets.server, targets.connection)
                }
                if let connection { await connection.abort(reason: reason(signal)) }
                if let server { await server.shutdown() }
                let note = cleanup()
                let told = connection == nil ? "" : "; the \(side == "sender" ? "receiver" : "sender") was told"
                TerminationSignal.writeMessage(
                    "rudp \(command): \(TerminationSignal.name(signal)) received\(told)\(note.map { "; \($0)" } ?? "")\n")
                exit(130)
            }
        }
    }

    /// If a signal is being handled, waits for the handler to end the process (status 130), so
    /// that the command's own error path (its connection just failed) cannot exit first.
    func waitIfInterrupted() async {
        while targets.withLock({ $0.interrupted }) {
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// The server to shut down on a signal (recv).
    func attach(_ server: RUDPServer) {
        targets.withLock { $0.server = server }
    }

    /// The connection to abort, with the reason, on a signal.
    func attach(_ connection: RUDPConnection) {
        targets.withLock { $0.connection = connection }
    }
}
