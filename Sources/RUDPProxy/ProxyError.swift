import RUDPImpairment

/// Why the proxy refused a setting, an address, a command or could not start.
///
/// An extensible struct rather than an enum (swift-nio-ssh's `NIOSSHError` pattern): errors are
/// made by static factories (`.invalidImpairment("...")`, `.shutDown`, ...) and told apart by
/// ``code``, whose values can grow without breaking a user's `switch`. Every error carries a
/// message meant for a person; ``description`` gives it.
///
/// ```swift
/// do {
///     try await proxy.update(up: Impairments(loss: 1.5), down: .none)
/// } catch {
///     print(error)                             // "invalid impairment: loss must be in 0...1, got 1.5"
///     print(error.code == .invalidImpairment)  // true
/// }
/// ```
public struct ProxyError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of error; compare with the static values (`error.code == .socket`).
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: Sendable, Hashable {
            case invalidImpairment, invalidAddress, invalidCommand, invalidConfiguration, socket, shutDown
        }

        private let base: Base

        /// An impairment value is out of range or malformed.
        public static let invalidImpairment = Code(base: .invalidImpairment)
        /// An address is not `HOST:PORT`, or the host does not resolve.
        public static let invalidAddress = Code(base: .invalidAddress)
        /// A line sent to the control port is not a command.
        public static let invalidCommand = Code(base: .invalidCommand)
        /// A limit in ``ProxyConfiguration`` is out of range.
        public static let invalidConfiguration = Code(base: .invalidConfiguration)
        /// A socket could not be opened or bound.
        public static let socket = Code(base: .socket)
        /// The proxy was shut down.
        public static let shutDown = Code(base: .shutDown)

        /// The code's name.
        public var description: String {
            switch base {
            case .invalidImpairment: "invalid impairment"
            case .invalidAddress: "invalid address"
            case .invalidCommand: "invalid command"
            case .invalidConfiguration: "invalid configuration"
            case .socket: "socket error"
            case .shutDown: "shut down"
            }
        }
    }

    /// The kind of error.
    public let code: Code
    /// The detail for a person (without the code's prefix); empty for ``shutDown``.
    public let message: String

    private init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// An impairment value is out of range or malformed.
    public static func invalidImpairment(_ message: String) -> ProxyError {
        ProxyError(code: .invalidImpairment, message: message)
    }

    /// A value refused by the shared impairment vocabulary (see `Quantity`).
    public static func invalidImpairment(_ error: ImpairmentError) -> ProxyError {
        ProxyError(code: .invalidImpairment, message: "\(error.parameter) \"\(error.value)\": \(error.reason)")
    }

    /// An address is not `HOST:PORT`, or the host does not resolve.
    public static func invalidAddress(_ message: String) -> ProxyError {
        ProxyError(code: .invalidAddress, message: message)
    }

    /// A line sent to the control port is not a command.
    public static func invalidCommand(_ message: String) -> ProxyError {
        ProxyError(code: .invalidCommand, message: message)
    }

    /// A limit in ``ProxyConfiguration`` is out of range.
    public static func invalidConfiguration(_ message: String) -> ProxyError {
        ProxyError(code: .invalidConfiguration, message: message)
    }

    /// A socket could not be opened or bound.
    public static func socket(_ message: String) -> ProxyError {
        ProxyError(code: .socket, message: message)
    }

    /// The proxy was shut down.
    public static let shutDown = ProxyError(code: .shutDown, message: "")

    /// The message for a person, e.g. `invalid impairment: loss must be in 0...1, got 1.5`.
    public var description: String {
        code == .shutDown ? "the proxy has been shut down" : "\(code): \(message)"
    }
}
