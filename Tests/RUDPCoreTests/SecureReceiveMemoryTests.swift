import RUDPSecurity
import RUDPWire
import Testing

@testable import RUDPCore

/// The secure receive path reads a DATA packet in place from the endpoint's scratch buffer, into
/// which it was opened. When the packet needs room in the endpoint's receive-memory budget, the
/// endpoint closes other connections first and the packet is then processed from the same,
/// unchanged bytes (`ReceiveProgress.needsRoom`).
@Suite struct SecureReceiveMemoryTests {
    @Test(
        "a secure DATA packet that needs room is processed after the endpoint made it", arguments: [SecurityMode.authenticated, .encrypted])
    func needsRoomOnTheSecurePath(mode: SecurityMode) throws {
        let held = 10 * (1_000 + ReceiveMemory.overhead)
        let budget = 16_000
        let messageSize = 12_000
        var configuration = EndpointConfiguration(acceptsConnections: true)
        configuration.receiveMemoryBudget = budget

        let hub = Hub(server: configuration, seed: 3, security: SecurityTestSupport.security(mode, seed: 11))
        hub.serverReleasesCredit = false  // unreliable messages count until released
        _ = hub.client(1, security: SecurityTestSupport.security(mode, seed: 12))
        _ = hub.client(2, security: SecurityTestSupport.security(mode, seed: 13))
        let holderID = hub.connect(from: 1), senderID = hub.connect(from: 2)
        try #require(
            hub.run(for: .seconds(5)) { hub.isConnected(at: 1, holderID) && hub.isConnected(at: 2, senderID) && hub.serverConnected == 2 })

        // Address 1 holds ten unreliable messages the application has not released.
        for i in 0..<10 {
            try hub.clients[1]!.send([UInt8](repeating: UInt8(i), count: 1_000), on: holderID, mode: .unreliable)
        }
        let serverMessages = { (hub.events[Hub.serverAddress] ?? []).filter { if case .message = $0.1 { true } else { false } } }
        try #require(hub.run(for: .seconds(5)) { serverMessages().count == 10 })
        #expect(hub.server.receiveMemory == held)
        #expect(hub.server.statistics.connectionsClosedForMemory == 0)

        // Address 2's message does not fit beside them: the holder is closed, the packet that
        // needed the room is taken, and the message arrives intact.
        let message = (0..<messageSize).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        try #require(held + messageSize > budget && messageSize + 2_000 < budget)
        try hub.clients[2]!.send(message, on: senderID)
        #expect(
            hub.run(for: .seconds(10)) {
                serverMessages().contains { if case .message(let m) = $0.1 { m.bytes == message } else { false } }
            },
            "seed 3, \(mode): the message was not delivered")
        #expect(hub.server.statistics.connectionsClosedForMemory == 1)
        #expect(hub.closeReason(at: Hub.serverAddress) == .resourceLimit, "the holder was closed")
        let sender = hub.server.connectionIDs.first { hub.server.address(of: $0) == PeerAddress(node: 2) }
        let senderConnection = try #require(sender.flatMap { hub.server.connection($0) })
        #expect(senderConnection.statistics.packetsDroppedForMemory == 0, "the packet that needed room was taken, not dropped")
        #expect(senderConnection.statistics.authenticationFailures == 0)
        #expect(hub.server.receiveMemory <= budget)
    }
}
