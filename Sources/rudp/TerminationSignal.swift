import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns SIGINT and SIGTERM into a call of a handler, so a command can shut down cleanly; a
/// second signal exits at once (status 130).
///
/// ```swift
/// let server = try await RUDPServer.bind(port: 9000)
/// TerminationSignal.install { signal in
///     Task { await server.shutdown() }   // serve(_:) then returns
/// }
/// try await server.serve { connection in ... }
/// ```
enum TerminationSignal {
    private struct State {
        var sources: [any DispatchSourceSignal] = []
        var handler: (@Sendable (Int32) -> Void)?
        var received: Int32?
    }

    private static let state = Mutex(State())

    /// Installs `handler` for the first SIGINT or SIGTERM (replacing an earlier handler).
    static func install(_ handler: @escaping @Sendable (Int32) -> Void) {
        state.withLock { state in
            state.handler = handler
            guard state.sources.isEmpty else { return }
            for number in [SIGINT, SIGTERM] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { TerminationSignal.received(number) }
                source.resume()
                state.sources.append(source)
            }
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
