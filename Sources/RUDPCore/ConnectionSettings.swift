/// A connection's configuration, shared by reference: an endpoint's connections all point at
/// one copy instead of carrying about 250 bytes each.
final class ConnectionSettings: Sendable {
    let configuration: ConnectionConfiguration

    init(_ configuration: ConnectionConfiguration) {
        self.configuration = configuration
    }
}
