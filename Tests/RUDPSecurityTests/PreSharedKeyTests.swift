import Foundation
import Testing

@testable import RUDPSecurity

/// Key files, key text, generation, and that keys never show up in descriptions.
@Suite("PreSharedKey")
struct PreSharedKeyTests {
    static let testKeyHex = Hex.encode(Array(0..<32))

    /// A fresh private directory for one test; removed by the caller.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rudp-security-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
        return url
    }

    /// Writes `text` to `path` with `mode`.
    static func write(_ text: String, to path: String, mode: Int = 0o600) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }

    static func loadError(_ path: String) -> SecurityError? {
        do {
            _ = try PreSharedKey(contentsOfFile: path)
            return nil
        } catch {
            return error
        }
    }

    @Test func generatedKeysAreRandom() throws {
        let a = try PreSharedKey.generate(), b = try PreSharedKey.generate()
        #expect(a != b)
        #expect(a == a)
        #expect(a.secret.withUnsafeBytes { $0.contains { $0 != 0 } })
    }

    @Test func writtenFileIsOwnerOnlyAndReadsBack() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("rudp.key").path
        let key = try PreSharedKey.generate()
        try key.write(toFile: path, replacingExisting: false)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.count == 65 && text.hasSuffix("\n"))
        #expect(text.dropLast().allSatisfy { $0.isHexDigit && !$0.isUppercase })
        #expect(try PreSharedKey(contentsOfFile: path) == key)
        // never overwritten without asking
        let other = try PreSharedKey.generate()
        #expect(throws: SecurityError.keyFileExists(path: path)) { try other.write(toFile: path, replacingExisting: false) }
        #expect(try PreSharedKey(contentsOfFile: path) == key)
        try other.write(toFile: path, replacingExisting: true)
        #expect(try PreSharedKey(contentsOfFile: path) == other)
        #expect(throws: SecurityError.self) { try other.write(toFile: dir.path, replacingExisting: true) }
        #expect(throws: SecurityError.self) {
            try other.write(toFile: dir.appendingPathComponent("missing/x.key").path, replacingExisting: false)
        }
    }

    @Test func acceptedFileFormats() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("k").path
        for text in [Self.testKeyHex + "\n", Self.testKeyHex, Self.testKeyHex.uppercased() + "\n"] {
            try Self.write(text, to: path)
            #expect(try PreSharedKey(contentsOfFile: path) == Fixtures.psk())
        }
        try Self.write(Self.testKeyHex + "\n", to: path, mode: 0o400)
        #expect(try PreSharedKey(contentsOfFile: path) == Fixtures.psk())
    }

    @Test func malformedFilesAreRefused() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("k").path
        let cases: [(String, String)] = [
            ("", "found 0 characters"),
            ("\n", "found 0 characters before the newline"),
            (String(Self.testKeyHex.dropLast()) + "\n", "found 63 characters before the newline"),
            (Self.testKeyHex + "0\n", "found 65 characters before the newline"),
            (Self.testKeyHex + "\n\n", "found 65 characters before the newline"),
            (Self.testKeyHex + "\r\n", "found 65 characters before the newline"),
            (" " + String(Self.testKeyHex.dropFirst()) + "\n", "character 1 is not a hex digit"),
            (String(Self.testKeyHex.dropLast()) + "g\n", "character 64 is not a hex digit"),
            (String(Self.testKeyHex.prefix(10)) + "é" + String(Self.testKeyHex.suffix(52)) + "\n", "character 11 is not a hex digit"),
            (String(repeating: "0", count: 5000), "the file is 5000 bytes long"),
        ]
        for (text, reason) in cases {
            try Self.write(text, to: path)
            #expect(Self.loadError(path) == .badKeyFile(path: path, reason: reason), "\(text.debugDescription)")
        }
        try Self.write(String(Self.testKeyHex.dropLast()) + "\n", to: path)
        #expect(
            Self.loadError(path)?.description == "key file '\(path)' is not a valid key: found 63 characters before the newline "
                + "(expected 64 hex digits and a newline, as written by `rudp keygen`)")
    }

    @Test func insecurePermissionsAreRefused() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("k").path
        for mode in [0o644, 0o640, 0o604, 0o660, 0o606, 0o777] {
            try Self.write(Self.testKeyHex + "\n", to: path, mode: mode)
            let error = Self.loadError(path)
            #expect(error?.name == "insecureKeyFilePermissions", "mode \(String(mode, radix: 8))")
            #expect(error?.description.contains("chmod 600") == true)
        }
    }

    @Test func unreadableFilesGiveClearErrors() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("missing.key").path
        #expect(Self.loadError(missing) == .unreadableKeyFile(path: missing, reason: "No such file or directory"))
        #expect(Self.loadError(dir.path) == .badKeyFile(path: dir.path, reason: "not a regular file"))
    }

    @Test func keyText() throws {
        #expect(try PreSharedKey(hexEncoded: Self.testKeyHex, source: "test") == Fixtures.psk())
        #expect(try PreSharedKey(hexEncoded: Self.testKeyHex + "\n", source: "test") == Fixtures.psk())
        #expect(throws: SecurityError.badKeyText(source: "environment variable RUDP_PSK", reason: "found 3 characters")) {
            _ = try PreSharedKey(hexEncoded: "abc", source: "environment variable RUDP_PSK")
        }
        #expect(throws: SecurityError.badKeyText(source: "x", reason: "character 2 is not a hex digit")) {
            _ = try PreSharedKey(hexEncoded: "0x" + String(Self.testKeyHex.dropFirst(2)), source: "x")
        }
        // a file wins over the environment; neither is no key
        #expect(try PreSharedKey.load(file: nil, environmentVariable: "RUDP_PSK_TEST_VARIABLE_THAT_IS_NEVER_SET") == nil)
        #expect(throws: SecurityError.self) { _ = try PreSharedKey.load(file: "/nonexistent/rudp.key") }
        // an unset variable is no key; a variable that is not a key is an error
        #expect(try PreSharedKey.fromEnvironment("RUDP_PSK_TEST_VARIABLE_THAT_IS_NEVER_SET") == nil)
        #expect(throws: SecurityError.self) { _ = try PreSharedKey.fromEnvironment("PATH") }
    }

    @Test func secretsNeverAppearInDescriptions() throws {
        let psk = try Fixtures.psk()
        let keys = try Fixtures.keys()
        let texts = [
            "\(psk)", String(reflecting: psk), "\(keys)", "\(keys.clientToServer)", String(reflecting: keys.handshake),
            "\(try KeySchedule.connectKey(psk: psk))",
        ]
        for text in texts {
            #expect(!text.contains(Self.testKeyHex) && !text.contains("0001020304"), "\(text)")
            #expect(text.contains("redacted"), "\(text)")
        }
        for key in [keys.clientToServer, keys.serverToClient, keys.handshake] {
            let hex = key.withUnsafeBytes { Hex.encode(Array($0)) }
            #expect(!texts.contains { $0.contains(hex.prefix(16)) })
        }
        // an invalid key's error names positions, never the characters
        let almost = String(Self.testKeyHex.dropLast()) + "z"
        do {
            _ = try PreSharedKey(hexEncoded: almost, source: "test")
        } catch {
            #expect(!error.description.contains(String(almost.prefix(16))), "\(error)")
        }
    }
}
