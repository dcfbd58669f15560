import RUDPCore
import RUDPImpairment
import RUDPSimulation

// Two engines over a simulated link with 20 ms of delay and 5% loss, in virtual time.
let simulator = NetworkSimulator(seed: 42)  // the same seed replays the same run
let client = EndpointNode(configuration: EndpointConfiguration(), seed: 1)
let server = EndpointNode(configuration: EndpointConfiguration(acceptsConnections: true), seed: 2)
server.onEvent = { _, event in
    if case .message(let message) = event {
        print(String(buffer: message.buffer), "at", simulator.now - .zero)  // virtual time
    }
}
let clientAddress = simulator.addNode(client), serverAddress = simulator.addNode(server)
simulator.connectBidirectional(clientAddress, serverAddress, options: LinkOptions(delay: .milliseconds(20), loss: 0.05))
let id = client.endpoint.connect(to: serverAddress.peerAddress, at: simulator.now)
for n in 1...3 { try client.endpoint.send(ByteBuffer(string: "message \(n)"), on: id) }
simulator.poll(clientAddress)  // sent from outside a callback: let the node transmit
simulator.run(for: .seconds(5))  // returns at once: nothing waits for real time
print("trace digest", simulator.traceDigest)  // equal for equal seeds and calls
