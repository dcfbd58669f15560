import Foundation
import Testing

/// Every Swift code block of README.md is an example program under `Examples/` (an executable
/// target that CI builds), and this suite keeps the two identical and runs them.
///
/// In README.md each Swift block is preceded by a line `<!-- example: Examples/NAME/main.swift -->`
/// naming its source; a block without one fails the test, so no snippet can go unchecked.
@Suite(.serialized) struct ReadmeExampleTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The Swift blocks of `markdown` with the example file each is marked with (nil: unmarked).
    static func swiftBlocks(in markdown: String) -> [(example: String?, code: String)] {
        var blocks: [(String?, String)] = []
        var marker: String?
        var code: [Substring]?
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            if var lines = code {
                if line == "```" {
                    blocks.append((marker, lines.joined(separator: "\n") + "\n"))
                    code = nil
                    marker = nil
                } else {
                    lines.append(line)
                    code = lines
                }
            } else if line.hasPrefix("<!-- example: "), line.hasSuffix(" -->") {
                marker = String(line.dropFirst("<!-- example: ".count).dropLast(" -->".count))
            } else if line == "```swift" {
                code = []
            } else if !line.trimmingCharacters(in: .whitespaces).isEmpty {
                marker = nil
            }
        }
        return blocks
    }

    @Test func everySwiftBlockOfTheReadmeIsAnExampleProgramVerbatim() throws {
        let readme = try String(contentsOf: Self.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let blocks = Self.swiftBlocks(in: readme)
        #expect(blocks.count >= 3, "README.md has \(blocks.count) Swift blocks")
        for (index, block) in blocks.enumerated() {
            guard let example = block.example else {
                Issue.record(
                    "Swift block \(index + 1) of README.md has no `<!-- example: Examples/NAME/main.swift -->` line before it:\n\(block.code)"
                )
                continue
            }
            let source = try String(contentsOf: Self.packageRoot.appendingPathComponent(example), encoding: .utf8)
            #expect(source == block.code, "README.md's block \(index + 1) differs from \(example); copy one to the other")
        }
    }

    /// The Markdown files of the DocC catalogs (`Sources/<Module>/<Module>.docc/*.md`).
    static func doccArticles() throws -> [URL] {
        let sources = packageRoot.appendingPathComponent("Sources")
        var articles: [URL] = []
        for module in try FileManager.default.contentsOfDirectory(atPath: sources.path).sorted() {
            let catalog = sources.appendingPathComponent(module).appendingPathComponent("\(module).docc")
            guard let files = try? FileManager.default.contentsOfDirectory(atPath: catalog.path) else { continue }
            articles += files.sorted().filter { $0.hasSuffix(".md") }.map { catalog.appendingPathComponent($0) }
        }
        return articles
    }

    /// DocC does not compile its articles' code, so every complete program in them (a Swift
    /// block that starts with `import`) is an example program too, marked as in README.md and
    /// kept verbatim; a block without imports is a fragment of a larger program and may stand alone.
    @Test func everyProgramInTheDocCArticlesIsAnExampleProgramVerbatim() throws {
        let articles = try Self.doccArticles()
        #expect(articles.count >= 9, "found \(articles.count) DocC articles")
        var checked = 0
        for article in articles {
            let name = "\(article.deletingLastPathComponent().lastPathComponent)/\(article.lastPathComponent)"
            for (index, block) in Self.swiftBlocks(in: try String(contentsOf: article, encoding: .utf8)).enumerated() {
                guard let example = block.example else {
                    #expect(
                        !block.code.hasPrefix("import "),
                        "Swift block \(index + 1) of \(name) is a program but has no `<!-- example: Examples/NAME/main.swift -->` line before it"
                    )
                    continue
                }
                let source = try String(contentsOf: Self.packageRoot.appendingPathComponent(example), encoding: .utf8)
                #expect(source == block.code, "\(name)'s block \(index + 1) differs from \(example); copy one to the other")
                checked += 1
            }
        }
        #expect(checked >= 8, "only \(checked) article blocks are examples")
    }

    /// The path of an example executable that `swift build` put next to `rudp`.
    static func executable(_ name: String) throws -> String {
        let path = URL(fileURLWithPath: try RudpBinary.path()).deletingLastPathComponent().appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw ChildProcess.Failure("\(path) was not built (swift build --build-tests builds every example)")
        }
        return path
    }

    @Test func theServerAndClientExamplesTalk() async throws {
        let server = try Self.executable("ExampleEchoServer"), client = try Self.executable("ExampleEchoClient")
        let result = try await ChildProcess.with(executable: server, []) { _ in
            // The client retries CONNECT until the server listens.
            try await ChildProcess.run(executable: client, [], seconds: HangGuard.processSeconds)
        }
        #expect(result.status == 0, "\(result.error)")
        let lines = result.output.split(separator: "\n")
        #expect(lines.first == "Hello, Alice!", "\(result.output)")
        #expect(lines.count == 2 && lines[1].hasSuffix("seconds"), "the RTT is a Duration: \(result.output)")
    }

    @Test func theMessageServerExampleRuns() async throws {
        let example = try Self.executable("ExampleMessageServer")
        let result = try await ChildProcess.run(executable: example, [], seconds: HangGuard.processSeconds)
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output == "accepted\nping\nended\n")
    }

    @Test func theServiceLifecycleExampleRuns() async throws {
        let example = try Self.executable("ExampleServiceLifecycle")
        let result = try await ChildProcess.run(executable: example, [], seconds: HangGuard.processSeconds)
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output == "ping\nstopped\n")
    }

    @Test func theSansIOExampleDeliversAMessageBetweenTwoEnginesInMemory() async throws {
        let result = try await ChildProcess.run(executable: try Self.executable("ExampleSansIO"), [], seconds: HangGuard.processSeconds)
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output == "hello\n")
    }

    @Test func theWireExampleRoundTripsAPacketAndRefusesACorruptedOne() async throws {
        let result = try await ChildProcess.run(executable: try Self.executable("ExampleWire"), [], seconds: HangGuard.processSeconds)
        #expect(result.status == 0, "\(result.error)")
        let lines = result.output.split(separator: "\n")
        #expect(lines.count == 2 && lines[0] == "true" && lines[1].hasPrefix("dropped: "), "\(result.output)")
    }

    @Test func theSimulatorExampleDeliversEveryMessageInOrderAndReplaysItsSeed() async throws {
        let simulator = try Self.executable("ExampleSimulator")
        let first = try await ChildProcess.run(executable: simulator, [], seconds: HangGuard.processSeconds)
        #expect(first.status == 0, "\(first.error)")
        let lines = first.output.split(separator: "\n")
        #expect(lines.count == 4, "\(first.output)")
        for (index, line) in lines.prefix(3).enumerated() {
            #expect(line.hasPrefix("message \(index + 1) at "), "\(first.output)")
        }
        #expect(lines.last?.hasPrefix("trace digest ") == true, "\(first.output)")
        let second = try await ChildProcess.run(executable: simulator, [], seconds: HangGuard.processSeconds)
        #expect(second.output == first.output, "the same seed must give the same run")
    }

    @Test func theProxyExampleEchoesThroughALossyProxy() async throws {
        let result = try await ChildProcess.run(executable: try Self.executable("ExampleProxy"), [], seconds: HangGuard.processSeconds)
        #expect(result.status == 0, "\(result.error)")
        let lines = result.output.split(separator: "\n")
        #expect(lines.first == "100 replies, in order, through the lossy proxy", "\(result.output)")
        #expect(lines.count == 2 && lines[1].hasPrefix("client to server: "), "\(result.output)")
    }

    @Test func theSecurityExampleRuns() async throws {
        let example = try Self.executable("ExampleSecureConnection")
        let directory = try CLIProcessTests.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let keygen = try await ChildProcess.run(
            ["keygen", "--output", directory.appendingPathComponent("rudp.key").path],
            seconds: HangGuard.processSeconds)
        #expect(keygen.status == 0)
        let result = try await ChildProcess.run(executable: example, [], directory: directory, seconds: HangGuard.processSeconds)
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output == "sent one encrypted message\n")
    }
}
