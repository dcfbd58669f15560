import RUDPWire

let packet = Packet(destination: ConnectionID(7), packetNumber: 1, body: .data([.ping]))
var bytes = packet.serialized()
Datagram.seal(&bytes)  // appends the CRC-32C trailer
let parsed = try Datagram.open(bytes)  // checks the trailer, then parses
print(parsed == packet)  // true

bytes[bytes.count / 2] ^= 0x01  // one bit flipped on the way
do {
    _ = try Datagram.open(bytes)
} catch {
    print("dropped: \(error)")  // a typed WireError, never a crash
}
