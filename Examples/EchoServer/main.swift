import RUDP

let server = try await RUDPServer.bind(host: "127.0.0.1", port: 9000)
try await server.serve { connection in  // one task per client
    for try await message in connection.messages {
        let name = String(buffer: message.buffer)  // a message is a ByteBuffer
        try await connection.send(ByteBuffer(string: "Hello, \(name)!"))
    }
}  // returns after `await server.shutdown()`
