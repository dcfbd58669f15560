import RUDP
import Testing

@testable import rudp

@Suite("Server limit options")
struct ServerLimitOptionsTests {
    @Test("the limit options reach the configuration; absent ones keep the defaults")
    func applied() throws {
        var configuration = RUDPConfiguration()
        try ServerLimitOptions.parse([
            "--max-connections-per-address", "20000", "--retry", "always",
            "--application-idle-timeout", "1.5",
        ]).apply(to: &configuration)
        #expect(configuration.maxConnectionsPerAddress == 20_000)
        #expect(configuration.retryPolicy == .always)
        #expect(configuration.connection.applicationIdleTimeout == .milliseconds(1_500))
        #expect(configuration.maxConnections == 10_000 && configuration.maxConnectionsPerPrefix == 4_096)
        try ServerLimitOptions.parse(["--retry", "8"]).apply(to: &configuration)
        #expect(configuration.retryPolicy == .whenHalfOpenExceeds(8))
        #expect(throws: (any Error).self) { try ServerLimitOptions.parse(["--retry", "sometimes"]) }
        #expect(throws: (any Error).self) {
            var other = RUDPConfiguration()
            try ServerLimitOptions.parse(["--application-idle-timeout", "0"]).apply(to: &other)
        }
    }
}
