/// A `HOST:PORT` pair given on the command line, such as `127.0.0.1:9000`, `localhost:9000`
/// or `[::1]:9000` (IPv6 addresses go in brackets).
///
/// ```swift
/// let target = try HostPort.parse("[::1]:9000") // host "::1", port 9000
/// ```
struct HostPort: Hashable, Sendable, CustomStringConvertible {
    /// A host name or an IP address (without brackets).
    var host: String
    /// A UDP port, 1...65535.
    var port: Int

    /// Why a `HOST:PORT` text was refused.
    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    /// The valid range of a port given as a peer's address.
    static let portRange = 1...65_535

    /// The text as it would be typed: IPv6 addresses in brackets.
    var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Parses `HOST:PORT` or `[IPV6]:PORT`, with a message that says what is wrong otherwise.
    static func parse(_ text: String) throws -> HostPort {
        let hostText: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                throw ParseError(description: "'\(text)' has '[' without ']'; write IPv6 addresses as [::1]:PORT")
            }
            hostText = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else {
                throw ParseError(description: "'\(text)' has no ':PORT' after the bracketed address; expected [IPV6]:PORT")
            }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw ParseError(description: "'\(text)' has no port; expected HOST:PORT, for example 127.0.0.1:9000")
            }
            hostText = text[..<colon]
            portText = text[text.index(after: colon)...]
            if hostText.contains(":") {
                throw ParseError(description: "'\(text)' looks like an IPv6 address; put it in brackets: [\(hostText)]:\(portText)")
            }
        }
        guard !hostText.isEmpty else {
            throw ParseError(description: "'\(text)' has an empty host; expected HOST:PORT, for example 127.0.0.1:9000")
        }
        guard !hostText.contains(where: { $0.isWhitespace }) else {
            throw ParseError(description: "'\(text)' has white space in the host name")
        }
        let port = try parsePort(String(portText), context: "'\(text)'")
        return HostPort(host: String(hostText), port: port)
    }

    /// Parses a decimal port in `portRange`; `allowZero` also accepts 0 ("any free port").
    static func parsePort(_ text: String, context: String? = nil, allowZero: Bool = false) throws -> Int {
        let prefix = context.map { "\($0): " } ?? ""
        guard !text.isEmpty else {
            throw ParseError(description: "\(prefix)the port is missing")
        }
        let rangeText = allowZero ? "0 to 65535 (0 picks a free port)" : "1 to 65535"
        let digits = text.hasPrefix("-") ? text.dropFirst() : text[...]
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw ParseError(description: "\(prefix)the port '\(text)' is not a number from \(rangeText)")
        }
        guard !text.hasPrefix("-"), digits.count <= 5, let port = Int(digits) else {
            throw ParseError(description: "\(prefix)the port \(text) is out of range; use \(rangeText)")
        }
        if port == 0 && allowZero { return 0 }
        guard portRange.contains(port) else {
            throw ParseError(description: "\(prefix)the port \(port) is out of range; use \(rangeText)")
        }
        return port
    }

    /// For `@Option(transform:)` of a listening port: 0 means "pick a free port".
    static func parseListeningPort(_ text: String) throws -> Int {
        try parsePort(text, allowZero: true)
    }
}
