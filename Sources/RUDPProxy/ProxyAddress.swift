import NIOCore

/// Parses and resolves the `HOST:PORT` addresses of the proxy's command line and API:
/// `127.0.0.1:9000`, `localhost:9000`, `[::1]:9000` (IPv6 in brackets).
///
/// ```swift
/// let upstream = try ProxyAddress.resolve("localhost:9000")
/// let listen = try ProxyAddress.resolve("127.0.0.1:0", allowPortZero: true)
/// ```
public enum ProxyAddress {
    /// Splits `HOST:PORT` into its host and port.
    ///
    /// - Parameters:
    ///   - text: the address as the command line gives it, for example `127.0.0.1:9000`.
    ///   - allowPortZero: accept port 0 ("any free port", for listening).
    /// - Throws: ``ProxyError/invalidAddress(_:)`` saying what is wrong.
    public static func parse(_ text: String, allowPortZero: Bool = false) throws(ProxyError) -> (host: String, port: Int) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"),
                text[text.index(after: close)...].hasPrefix(":")
            else {
                throw .invalidAddress("'\(text)' is not [IPV6]:PORT")
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else {
                throw .invalidAddress("'\(text)' has no port; expected HOST:PORT, e.g. 127.0.0.1:9000")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            guard !host.contains(":") else {
                throw .invalidAddress("'\(text)': put an IPv6 address in brackets, e.g. [::1]:9000")
            }
        }
        guard !host.isEmpty, !host.contains(where: \.isWhitespace) else {
            throw .invalidAddress("'\(text)' has an empty or malformed host")
        }
        guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
            let port = Int(portText), port <= 65_535, port > 0 || allowPortZero
        else {
            throw .invalidAddress("'\(text)': the port must be a number from \(allowPortZero ? 0 : 1) to 65535")
        }
        return (String(host), port)
    }

    /// Parses `HOST:PORT` and resolves the host (a name goes through the system resolver).
    ///
    /// - Throws: ``ProxyError/invalidAddress(_:)`` if malformed or the host does not resolve.
    public static func resolve(_ text: String, allowPortZero: Bool = false) throws(ProxyError) -> SocketAddress {
        let (host, port) = try parse(text, allowPortZero: allowPortZero)
        do {
            return try SocketAddress.makeAddressResolvingHost(host, port: port)
        } catch {
            throw .invalidAddress("cannot resolve '\(host)': \(error)")
        }
    }
}
