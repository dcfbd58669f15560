import Synchronization
import UnixSignals

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What `rudp send` and `rudp recv` do with SIGINT and SIGTERM (the servers, `echo-server` and
/// `proxy`, shut down through swift-service-lifecycle's `ServiceGroup` instead): the first
/// signal calls a handler, which tells the peer and exits; a second one exits at once (status
/// 130). The signals come from swift-service-lifecycle's `UnixSignalsSequence`.
///
/// ```swift
/// await TerminationSignal.install { signal in
///     Task { await connection.abort(reason: "interrupted (\(TerminationSignal.name(signal)))"); exit(130) }
/// }
/// ```
enum TerminationSignal {
    private struct State {
        var listening = false
        var handler: (@Sendable (Int32) -> Void)?
        var received: Int32?
    }

    private static let state = Mutex(State())

    /// Installs `handler` for the first SIGINT or SIGTERM (replacing an earlier handler);
    /// returns once the signals are trapped.
    static func install(_ handler: @escaping @Sendable (Int32) -> Void) async {
        let first = state.withLock { state in
            state.handler = handler
            defer { state.listening = true }
            return !state.listening
        }
        guard first else { return }
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        Task.detached {
            for await signal in signals { received(signal.rawValue) }
        }
    }

    private static func received(_ number: Int32) {
        let handler: (@Sendable (Int32) -> Void)? = state.withLock { state in
            if state.received != nil { return nil }
            state.received = number
            return state.handler
        }
        guard let handler else {
            writeMessage("rudp: \(name(number)) again, exiting without a clean shutdown\n")
            exit(130)
        }
        handler(number)
    }

    /// Writes a message about a signal to standard error on a line of its own: on a terminal,
    /// the progress bar (and the `^C` the terminal echoed) are cleared first.
    static func writeMessage(_ text: String) {
        Console.writeError((Console.standardErrorIsTerminal ? "\r\u{1B}[2K" : "") + text)
    }

    /// A readable name: "SIGINT", "SIGTERM" or the number.
    static func name(_ number: Int32) -> String {
        switch number {
        case SIGINT: return "SIGINT"
        case SIGTERM: return "SIGTERM"
        default: return "signal \(number)"
        }
    }
}
