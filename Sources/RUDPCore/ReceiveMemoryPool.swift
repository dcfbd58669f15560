/// The receive memory of all the connections of one ``Endpoint`` together, against the
/// endpoint's ``EndpointConfiguration/receiveMemoryBudget``.
///
/// Every connection of the endpoint adds its changes to ``held`` as they happen. Before a
/// connection processes a datagram's MESSAGE frames, it checks that the most they could add
/// fits; if not, it asks ``makeRoom`` (the endpoint), which closes the connections holding the
/// most until it fits (`Specs/PROTOCOL.md` section 17.4).
final class ReceiveMemoryPool {
    /// The most all connections may hold together.
    let budget: Int
    /// What they hold now.
    var held = 0
    /// Frees room for `bytes` more on behalf of `connection`, at the given time, by closing
    /// connections; returns false if `connection` itself was closed or the bytes cannot fit
    /// (the datagram must then be dropped unprocessed).
    var makeRoom: ((_ bytes: Int, _ connection: Connection, _ now: Timestamp) -> Bool)?

    init(budget: Int) {
        self.budget = budget
    }
}
