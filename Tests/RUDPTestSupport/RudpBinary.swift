import Foundation

/// Finds the `rudp` executable that `swift test` built, next to the test bundle (whatever the
/// scratch path), so the CLI tests run the real binary as a separate process.
///
/// Order: `RUDP_BINARY` (an explicit path), then the directory of the running test executable
/// (`<scratch>/<triple>/<configuration>/`, where SwiftPM also puts `rudp`), then
/// `<package>/.build/debug/rudp`. Throws (the test fails) with the places it looked if none exists.
public enum RudpBinary {
    /// No `rudp` executable at any of the places looked at.
    public struct NotFound: Error, CustomStringConvertible {
        /// The paths looked at, in order.
        public var candidates: [String]
        /// The places looked at and how to fix it.
        public var description: String {
            "the rudp executable was not found; looked at: \(candidates.joined(separator: ", ")). Build it (swift build) or set RUDP_BINARY."
        }
    }

    /// The path of the `rudp` executable; throws ``NotFound`` if there is none.
    public static func path() throws -> String {
        var candidates: [String] = []
        if let explicit = ProcessInfo.processInfo.environment["RUDP_BINARY"], !explicit.isEmpty {
            candidates.append(explicit)
        }
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? ProcessInfo.processInfo.arguments.first ?? ""
        var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
        // On Linux the test runner is `<dir>/rudpPackageTests.xctest`; on Darwin it is inside a bundle.
        for _ in 0..<4 {
            candidates.append(directory.appendingPathComponent("rudp").path)
            directory = directory.deletingLastPathComponent()
        }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        candidates.append(packageRoot.appendingPathComponent(".build/debug/rudp").path)
        for candidate in candidates {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue,
                FileManager.default.isExecutableFile(atPath: candidate)
            {
                return candidate
            }
        }
        throw NotFound(candidates: candidates)
    }
}
