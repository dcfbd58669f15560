// swift-tools-version:6.2
import PackageDescription

/// RUDP: reliable messaging over UDP.
///
/// The arrows only point down: `RUDPWire` (the codec) knows nothing of the engine,
/// `RUDPCore` (the sans-IO connection engine) knows nothing of sockets or clocks,
/// `RUDPSimulation` drives engines over a deterministic virtual network, `RUDP` is the thin
/// SwiftNIO transport with the public async API, `RUDPProxy` the loss-injecting UDP proxy,
/// and `rudp` the command-line tool.
let package = Package(
    name: "rudp",
    products: [
        .library(name: "RUDP", targets: ["RUDP"]),
        .library(name: "RUDPWire", targets: ["RUDPWire"]),
        .library(name: "RUDPCore", targets: ["RUDPCore"]),
        .library(name: "RUDPSimulation", targets: ["RUDPSimulation"]),
        .library(name: "RUDPProxy", targets: ["RUDPProxy"]),
        .library(name: "RUDPFuzzSupport", targets: ["RUDPFuzzSupport"]),
        .library(name: "RUDPSecurity", targets: ["RUDPSecurity"]),
        .library(name: "RUDPServiceLifecycle", targets: ["RUDPServiceLifecycle"]),
        .executable(name: "rudp", targets: ["rudp"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.0"),
    ],
    targets: [
        .target(name: "CRC32CKernel"),
        .target(name: "RUDPWire", dependencies: ["CRC32CKernel"]),
        .target(
            name: "RUDPCore",
            dependencies: [
                "RUDPWire",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
            ]
        ),
        .target(
            name: "RUDPSimulation",
            dependencies: [
                "RUDPCore",
                "RUDPWire",
                "RUDPSecurity",
            ]
        ),
        .target(
            name: "RUDP",
            dependencies: [
                "RUDPCore",
                "RUDPSecurity",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "RUDPProxy",
            dependencies: [
                "RUDPCore",
                "RUDPSimulation",
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Service conformances for RUDPServer and UDPProxy, in a module of their own so that
        // RUDP and RUDPProxy do not depend on swift-service-lifecycle (and swift-async-algorithms).
        .target(
            name: "RUDPServiceLifecycle",
            dependencies: [
                "RUDP",
                "RUDPProxy",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(name: "RUDPFuzzSupport", dependencies: ["RUDPCore", "RUDPWire", "RUDPSecurity"]),
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        .target(name: "RUDPSecurity", dependencies: ["CSodium", "RUDPWire", "RUDPCore"]),
        .executableTarget(
            name: "rudp",
            dependencies: [
                "RUDP",
                "RUDPSecurity",
                "CSodium",
                "RUDPProxy",
                "RUDPSimulation",
                "RUDPServiceLifecycle",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // The README's code examples, verbatim (ReadmeExampleTests keeps them identical and runs them).
        .executableTarget(name: "ExampleEchoServer", dependencies: ["RUDP"], path: "Examples/EchoServer"),
        .executableTarget(name: "ExampleEchoClient", dependencies: ["RUDP"], path: "Examples/EchoClient"),
        .executableTarget(name: "ExampleSecureConnection", dependencies: ["RUDP"], path: "Examples/SecureConnection"),
        .executableTarget(name: "ExampleMessageServer", dependencies: ["RUDP"], path: "Examples/MessageServer"),
        .executableTarget(
            name: "ExampleServiceLifecycle",
            dependencies: [
                "RUDP",
                "RUDPServiceLifecycle",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Examples/ServiceLifecycle"
        ),
        .testTarget(name: "RUDPWireTests", dependencies: ["RUDPWire", "RUDPFuzzSupport"]),
        .testTarget(name: "RUDPCoreTests", dependencies: ["RUDPCore", "RUDPWire", "RUDPSimulation", "RUDPSecurity"]),
        .testTarget(name: "RUDPSimulationTests", dependencies: ["RUDPSimulation", "RUDPCore", "RUDPWire"]),
        .testTarget(name: "RUDPTests", dependencies: ["RUDP", "RUDPProxy", "RUDPServiceLifecycle", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"), .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"), .product(name: "MetricsTestKit", package: "swift-metrics")]),
        .testTarget(name: "RUDPProxyTests", dependencies: ["RUDPProxy", "RUDP", "RUDPSimulation", "RUDPCore", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"), .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "rudpCLITests", dependencies: ["rudp", "RUDP", "RUDPCore", "RUDPWire", "RUDPSecurity"]),
        .testTarget(name: "RUDPFuzzSupportTests", dependencies: ["RUDPFuzzSupport", "RUDPCore", "RUDPWire", "RUDPSecurity"]),
        .testTarget(name: "RUDPSecurityTests", dependencies: ["RUDPSecurity", "RUDPWire", "RUDPCore"]),
    ],
    swiftLanguageModes: [.v6]
)
