import Foundation

/// The seed corpora of the fuzz targets, made from the test vectors in `Specs/vectors` (JSON
/// files whose vectors carry their datagram as a `hex` string, see `Specs/vectors/README.md`).
///
/// ```swift
/// let datagrams = try FuzzSeeds.vectorDatagrams(in: "Specs/vectors")
/// let written = try FuzzSeeds.write(target: "wire", vectorsDirectory: "Specs/vectors", to: "/tmp/seeds")
/// ```
public enum FuzzSeeds {
    /// Why seeds could not be made.
    public enum SeedError: Error, CustomStringConvertible {
        /// A vector's `hex` is not pairs of hex digits.
        case invalidHex(file: String, vector: String)
        /// No fuzz target has this name.
        case unknownTarget(String)

        /// A one-line explanation.
        public var description: String {
            switch self {
            case let .invalidHex(file, vector): return "\(file): vector \(vector) has an invalid hex string"
            case let .unknownTarget(name): return "unknown fuzz target \(name) (known: \(FuzzSeeds.targets.joined(separator: ", ")))"
            }
        }
    }

    /// The fuzz targets that have seeds.
    public static let targets = ["wire", "engine", "secureEngine", "security"]

    private struct VectorFile: Decodable {
        struct Vector: Decodable {
            var name: String
            var hex: String
        }
        var vectors: [Vector]
    }

    /// Every vector's datagram from the JSON files in `directory`, named `file-vector`, sorted by name.
    public static func vectorDatagrams(in directory: String) throws -> [(name: String, bytes: [UInt8])] {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory)
            .filter { $0.hasSuffix(".json") }
            .sorted()
        var result: [(name: String, bytes: [UInt8])] = []
        for file in files {
            let data = try Data(contentsOf: URL(fileURLWithPath: directory).appendingPathComponent(file))
            let decoded = try JSONDecoder().decode(VectorFile.self, from: data)
            for vector in decoded.vectors {
                guard let bytes = decodeHex(vector.hex) else { throw SeedError.invalidHex(file: file, vector: vector.name) }
                result.append(("\(file.dropLast(5))-\(vector.name)", bytes))
            }
        }
        return result
    }

    /// The seed inputs of a target: for `wire` the vectors' datagrams as they are, for `engine`
    /// and `secureEngine` ``EngineFuzzer/seedPrograms(datagrams:)``, for `security`
    /// ``SecurityFuzzer/seedPrograms(vectors:)`` from `security/security.json`.
    public static func seeds(target: String, vectorsDirectory: String) throws -> [(name: String, bytes: [UInt8])] {
        if target == "security" {
            let vectors = try SecurityFuzzVectors.load(vectorsDirectory: vectorsDirectory)
            return SecurityFuzzer.seedPrograms(vectors: vectors).enumerated().map { ("program-\($0.offset)", $0.element) }
        }
        let datagrams = try vectorDatagrams(in: vectorsDirectory)
        switch target {
        case "wire":
            return datagrams
        case "engine", "secureEngine":
            return EngineFuzzer.seedPrograms(datagrams: datagrams.map(\.bytes), secure: target == "secureEngine").enumerated().map {
                ("program-\($0.offset)", $0.element)
            }
        default:
            throw SeedError.unknownTarget(target)
        }
    }

    /// Writes the seeds of `target` as files into `outputDirectory` (created if missing) and
    /// returns how many were written.
    @discardableResult
    public static func write(target: String, vectorsDirectory: String, to outputDirectory: String) throws -> Int {
        let seeds = try seeds(target: target, vectorsDirectory: vectorsDirectory)
        try FileManager.default.createDirectory(atPath: outputDirectory, withIntermediateDirectories: true)
        for seed in seeds {
            let path = URL(fileURLWithPath: outputDirectory).appendingPathComponent("seed-\(seed.name)")
            try Data(seed.bytes).write(to: path)
        }
        return seeds.count
    }

    /// For a fuzz binary's `LLVMFuzzerInitialize`: when the environment variable
    /// `RUDP_FUZZ_WRITE_SEEDS` names a directory, writes the seeds of `target` there (from the
    /// vectors in `RUDP_FUZZ_VECTORS`, default `Specs/vectors`) and exits the process (status 0 on
    /// success, 1 with a message on standard error otherwise). Does nothing without the variable.
    public static func writeIfRequested(target: String) {
        let environment = ProcessInfo.processInfo.environment
        guard let output = environment["RUDP_FUZZ_WRITE_SEEDS"] else { return }
        let vectors = environment["RUDP_FUZZ_VECTORS"] ?? "Specs/vectors"
        do {
            let count = try write(target: target, vectorsDirectory: vectors, to: output)
            print("wrote \(count) \(target) seeds to \(output)")
            exit(0)
        } catch {
            FileHandle.standardError.write(Data("cannot write \(target) seeds: \(error)\n".utf8))
            exit(1)
        }
    }

    /// Bytes from hex digit pairs; spaces and `|` are separators. Nil if anything else appears.
    static func decodeHex(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        var high: UInt8?
        for scalar in text.unicodeScalars {
            if scalar == " " || scalar == "|" { continue }
            guard let digit = UInt8(String(scalar), radix: 16) else { return nil }
            if let h = high {
                bytes.append(h << 4 | digit)
                high = nil
            } else {
                high = digit
            }
        }
        return high == nil ? bytes : nil
    }
}
