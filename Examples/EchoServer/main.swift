import RUDP

let server = try await RUDPServer.bind(host: "127.0.0.1", port: 9000)
try await server.serve { connection in  // one task per client
    for try await message in connection.messages {
        let name = String(decoding: message.bytes, as: UTF8.self)
        try await connection.send(Array("Hello, \(name)!".utf8))
    }
}  // returns after `await server.shutdown()`
