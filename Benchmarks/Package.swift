// swift-tools-version:6.1
import PackageDescription

/// Measurements of the RUDP engine, kept out of the root package so that it gains no dependency:
///
/// - `EngineExchange`: two endpoints exchanging 1 KiB messages through arrays in memory, with
///   seeded loss and a virtual clock (the minimal driver; one file, easy to port to a new API).
/// - `EngineDriver`: that exchange as a command (`EngineDriver --messages 100000 --loss 0.1`),
///   which `callgrind.sh` runs under callgrind to count instructions per delivered message.
/// - `EngineBenchmarks`: the same exchange under ordo-one's benchmark plugin, for malloc counts
///   per message with thresholds checked in under `Thresholds/`.
///
/// See README.md for how to run each, and RESULTS.md for the figures.
let package = Package(
    name: "RUDPBenchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "rudp", path: ".."),
        // MallocInterposer only: the default traits add swift-runtime-interposer on Linux with
        // Swift 6.3, which is not among the packages this machine resolves from.
        .package(url: "https://github.com/ordo-one/benchmark.git", .upToNextMinor(from: "1.38.1"), traits: ["MallocInterposer"]),
    ],
    targets: [
        .target(name: "EngineExchange", dependencies: [.product(name: "RUDPCore", package: "rudp")]),
        .executableTarget(name: "EngineDriver", dependencies: ["EngineExchange"]),
        .executableTarget(
            name: "EngineBenchmarks",
            dependencies: ["EngineExchange", .product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/EngineBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
