import RUDP

let key = try PreSharedKey(contentsOfFile: "rudp.key")  // 64 hex digits, mode 0600 (`rudp keygen`)
var configuration = RUDPConfiguration()
configuration.security = SecurityConfiguration(mode: .encrypted, key: key)
let server = try await RUDPServer.bind(port: 9000, configuration: configuration)
let connection = try await RUDPClient.connect(host: "127.0.0.1", port: 9000, configuration: configuration)
try await connection.sendAndWaitForAcknowledgement(ByteBuffer(string: "secret"))  // encrypted on the wire
try await connection.close()
await server.shutdown()
print("sent one encrypted message")
