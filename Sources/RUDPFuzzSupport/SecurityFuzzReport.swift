/// What one security fuzz program did: enough for a test to see that a program exercised the
/// security layer (packets really opened, every kind of refusal happened) and not only that
/// nothing broke.
///
/// ```swift
/// let report = SecurityFuzzer.run(program.bytes)
/// print(report.opened, report.refusals["replayed", default: 0], report.violation as Any)
/// ```
public struct SecurityFuzzReport: Sendable, Hashable {
    /// Operations executed.
    public var operations = 0
    /// Datagrams the sender sealed.
    public var sealed = 0
    /// Datagrams the receiver opened.
    public var opened = 0
    /// Refusals of the receiver, the sender and the cookie issuer, by `SecurityError.name`.
    public var refusals: [String: Int] = [:]
    /// Cookies issued.
    public var cookiesIssued = 0
    /// Cookies that verified.
    public var cookiesAccepted = 0
    /// Handshake tags that verified.
    public var tagsAccepted = 0
    /// The first violated invariant, or nil.
    public var violation: FuzzViolation?

    /// Creates an empty report.
    public init() {}
}
