import RUDPCore

// Two engines joined by an in-memory network: this loop is all a transport does. The engine
// reads no clock and opens no socket; time and datagrams come in, datagrams and events go out.
let client = Endpoint(configuration: EndpointConfiguration(), randomness: SystemRandomNumberGenerator())
let server = Endpoint(configuration: EndpointConfiguration(acceptsConnections: true), randomness: SystemRandomNumberGenerator())
let clientAddress = PeerAddress(ipv4: 0x7F00_0001, port: 4000)  // 127.0.0.1:4000, as the server sees it
let serverAddress = PeerAddress(ipv4: 0x7F00_0001, port: 9000)
var now = Timestamp.zero

let id = client.connect(to: serverAddress, at: now)
try client.send(ByteBuffer(string: "hello"), on: id)  // goes out once the handshake completes
var received: String?
for _ in 0..<1_000 where received == nil {
    // Output: hand every datagram to the other endpoint (a transport writes it to its socket).
    var moved = false
    while let (datagram, _) = client.pollTransmit(at: now) {
        server.handle(datagram: datagram, from: clientAddress, at: now)
        moved = true
    }
    while let (datagram, _) = server.pollTransmit(at: now) {
        client.handle(datagram: datagram, from: serverAddress, at: now)
        moved = true
    }
    while let (connection, event) = server.pollEvent() {
        if case .message(let message) = event {
            received = String(buffer: message.buffer)
            server.releaseCredit(message, on: connection)  // consumed: the peer may send more
        }
    }
    while client.pollEvent() != nil {}
    // Sleep: once both are quiet, a transport waits for a datagram or the next deadline; with
    // no network in between, time jumps to the deadline.
    if !moved, let deadline = [client.nextDeadline(), server.nextDeadline()].compactMap({ $0 }).min() {
        now = max(now, deadline)
        client.handleTimeout(at: now)
        server.handleTimeout(at: now)
    }
}
print(received ?? "nothing arrived")  // hello
