import NIOCore

/// One line of the proxy's control protocol, spoken on the control port of `rudp proxy`
/// (`--control-port`, TCP on 127.0.0.1) and accepted by ``UDPProxy/execute(_:)``.
///
/// Commands (one per line; each answered by one line):
///
/// - `set NAME=VALUE ...` — change impairments, with the command line's names and values
///   (``ImpairmentSetting``), e.g. `set loss=10% delay=down:30ms rate=up:1mbit`. All or nothing:
///   on an error nothing changes. Answers `ok`.
/// - `clear` — no impairment in either direction. `reset` — back to the impairments at start.
/// - `partition SECONDS [up|down|both]` — drop everything for that long (default both).
/// - `heal` — end a partition now.
/// - `rebind [CLIENT]` — give the flow of the client at `CLIENT` (`IP:PORT`, as the proxy sees
///   it; default: every flow) a new upstream socket, so the upstream sees the client move to a
///   new source port, as after a NAT rebinding. Answers `ok rebinding N flow(s)`; the
///   `rebound` counter of `stats` counts them once their new socket is open.
/// - `stats` — the counters as one JSON object (``ProxyStatistics``).
/// - `show` — the impairments in force, `up: ... | down: ...`.
/// - `help`, `quit` (closes the connection).
///
/// Errors answer `error: MESSAGE`. Blank lines and lines starting with `#` are ignored.
///
/// ```swift
/// let command = try ProxyControlCommand.parse("partition 2.5 up")
/// // .partition(.milliseconds(2500), .up)
/// ```
public enum ProxyControlCommand: Sendable, Equatable {
    /// Apply `NAME=VALUE` assignments.
    case set([String])
    /// No impairment.
    case clear
    /// The impairments at start.
    case reset
    /// Drop everything in the directions for the duration.
    case partition(Duration, ProxyDirections)
    /// End a partition.
    case heal
    /// Give the flow of this client (nil: every flow) a new upstream socket.
    case rebind(SocketAddress?)
    /// The counters as JSON.
    case statistics
    /// The impairments in force.
    case show
    /// The list of commands.
    case help
    /// Close the control connection.
    case quit

    /// The one-line summary of the commands (the answer to `help`).
    public static let summary =
        "commands: set NAME=[up:|down:]VALUE... | clear | reset | partition SECONDS [up|down|both] | heal | rebind [IP:PORT] | stats | show | quit; names: "
        + ImpairmentSetting.allCases.map(\.rawValue).joined(separator: " ")

    /// Parses a line; nil for a blank or comment line.
    ///
    /// - Throws: ``ProxyError/invalidCommand(_:)`` naming what is wrong.
    public static func parse(_ line: String) throws(ProxyError) -> ProxyControlCommand? {
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
        guard let verb = words.first?.lowercased(), !verb.hasPrefix("#") else { return nil }
        let arguments = Array(words.dropFirst())
        func noArguments(_ command: ProxyControlCommand) throws(ProxyError) -> ProxyControlCommand {
            guard arguments.isEmpty else { throw .invalidCommand("'\(verb)' takes no arguments") }
            return command
        }
        switch verb {
        case "set":
            guard !arguments.isEmpty else { throw .invalidCommand("'set' needs NAME=VALUE pairs") }
            return .set(arguments)
        case "clear": return try noArguments(.clear)
        case "reset": return try noArguments(.reset)
        case "heal": return try noArguments(.heal)
        case "stats", "statistics": return try noArguments(.statistics)
        case "show": return try noArguments(.show)
        case "help": return try noArguments(.help)
        case "quit", "exit": return try noArguments(.quit)
        case "rebind":
            guard arguments.count <= 1 else {
                throw .invalidCommand("usage: rebind [IP:PORT], the client address of one flow (default: every flow)")
            }
            guard let text = arguments.first, text.lowercased() != "all" else { return .rebind(nil) }
            let (host, port) = try ProxyAddress.parse(text)
            do {
                return .rebind(try SocketAddress(ipAddress: host, port: port))
            } catch {
                throw .invalidCommand("rebind: '\(text)' is not a numeric IP:PORT")
            }
        case "partition":
            guard (1...2).contains(arguments.count), let seconds = Double(arguments[0]),
                seconds.isFinite, seconds > 0, seconds <= 86_400
            else {
                throw .invalidCommand("usage: partition SECONDS [up|down|both], with 0 < SECONDS <= 86400")
            }
            var directions = ProxyDirections.both
            if arguments.count == 2 {
                switch arguments[1].lowercased() {
                case "up": directions = .up
                case "down": directions = .down
                case "both": directions = .both
                default: throw .invalidCommand("partition direction must be up, down or both, got '\(arguments[1])'")
                }
            }
            return .partition(.nanoseconds(Int64((seconds * 1e9).rounded())), directions)
        default:
            throw .invalidCommand("unknown command '\(verb)'; \(summary)")
        }
    }
}
