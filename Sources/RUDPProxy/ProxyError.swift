/// Why the proxy refused a setting, an address, a command or could not start.
///
/// Every case carries a message meant for a person; ``description`` gives it.
///
/// ```swift
/// do {
///     try await proxy.update(up: Impairments(loss: 1.5), down: .none)
/// } catch {
///     print(error)   // "invalid impairment: loss must be in 0...1, got 1.5"
/// }
/// ```
public enum ProxyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An impairment value is out of range or malformed.
    case invalidImpairment(String)
    /// An address is not `HOST:PORT`, or the host does not resolve.
    case invalidAddress(String)
    /// A line sent to the control port is not a command.
    case invalidCommand(String)
    /// A limit in ``ProxyConfiguration`` is out of range.
    case invalidConfiguration(String)
    /// A socket could not be opened or bound.
    case socket(String)
    /// The proxy was shut down.
    case shutDown

    /// The message for a person.
    public var description: String {
        switch self {
        case let .invalidImpairment(message): "invalid impairment: \(message)"
        case let .invalidAddress(message): "invalid address: \(message)"
        case let .invalidCommand(message): "invalid command: \(message)"
        case let .invalidConfiguration(message): "invalid configuration: \(message)"
        case let .socket(message): "socket error: \(message)"
        case .shutDown: "the proxy has been shut down"
        }
    }
}
