// swift-tools-version:6.2
import PackageDescription

/// RUDP: reliable messaging over UDP.
///
/// The arrows only point down: `RUDPWire` (the codec) knows nothing of the engine,
/// `RUDPCore` (the sans-IO connection engine) knows nothing of sockets or clocks (it uses
/// NIOCore's `ByteBuffer` as its message payload type, nothing else of NIO),
/// `RUDPSecurity` wraps libsodium, `RUDPImpairment` is the impairment model, its link options
/// and their vocabulary (shared by the simulator and the proxy), `RUDPSimulation` drives
/// engines over a deterministic virtual network, `RUDPExperiments` runs, reports and charts
/// experiments on it, `RUDP` is the thin SwiftNIO transport with the public async API,
/// `RUDPProxy` the loss-injecting UDP proxy, and `rudp` the command-line tool.
/// `_RUDPFuzzSupport` is not API: it exists for the `Fuzz/` package.
let package = Package(
    name: "rudp",
    products: [
        .library(name: "RUDP", targets: ["RUDP"]),
        .library(name: "RUDPWire", targets: ["RUDPWire"]),
        .library(name: "RUDPCore", targets: ["RUDPCore"]),
        .library(name: "RUDPImpairment", targets: ["RUDPImpairment"]),
        .library(name: "RUDPSimulation", targets: ["RUDPSimulation"]),
        .library(name: "RUDPExperiments", targets: ["RUDPExperiments"]),
        .library(name: "RUDPProxy", targets: ["RUDPProxy"]),
        // Not API: the fuzz targets of the Fuzz/ sub-package link it.
        .library(name: "_RUDPFuzzSupport", targets: ["RUDPFuzzSupport"]),
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
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.0"),
        // `swift package generate-documentation` (the DocC catalogs under Sources/<Module>/<Module>.docc);
        // a command plugin only: it adds nothing to what the library targets link.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin.git", from: "1.5.0"),
    ],
    targets: [
        .target(name: "CRC32CKernel"),
        // The one time limit of the tool and the tests (returns at its limit even if the body ignores cancellation).
        .target(name: "TimeLimit"),
        .target(name: "RUDPWire", dependencies: ["CRC32CKernel"]),
        .target(
            name: "RUDPCore",
            dependencies: [
                "RUDPWire",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
                // ByteBuffer only (the message payload type), as swift-nio-ssh's state machines
                // use it: the engine stays sans-IO and links none of NIO's event loops.
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .target(name: "RUDPImpairment", dependencies: ["RUDPCore"]),
        .target(name: "RUDPSimulation", dependencies: ["RUDPCore", "RUDPWire", "RUDPImpairment"]),
        .target(
            name: "RUDPExperiments",
            dependencies: [
                "RUDPSimulation",
                "RUDPImpairment",
                "RUDPCore",
                "RUDPWire",
                "RUDPSecurity",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
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
                "RUDPImpairment",
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
                "RUDPProxy",
                "RUDPImpairment",
                "RUDPExperiments",
                "TimeLimit",
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
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // The README's code examples, verbatim (ReadmeExampleTests keeps them identical and runs them).
        .executableTarget(name: "ExampleEchoServer", dependencies: ["RUDP"], path: "Examples/EchoServer"),
        .executableTarget(name: "ExampleEchoClient", dependencies: ["RUDP"], path: "Examples/EchoClient"),
        .executableTarget(name: "ExampleSecureConnection", dependencies: ["RUDP"], path: "Examples/SecureConnection"),
        .executableTarget(name: "ExampleMessageServer", dependencies: ["RUDP"], path: "Examples/MessageServer"),
        // The DocC articles' complete programs, verbatim (ReadmeExampleTests again).
        .executableTarget(name: "ExampleSansIO", dependencies: ["RUDPCore"], path: "Examples/SansIO"),
        .executableTarget(name: "ExampleWire", dependencies: ["RUDPWire"], path: "Examples/Wire"),
        .executableTarget(
            name: "ExampleSimulator", dependencies: ["RUDPCore", "RUDPImpairment", "RUDPSimulation"], path: "Examples/Simulator"),
        .executableTarget(
            name: "ExampleProxy",
            dependencies: ["RUDP", "RUDPProxy", .product(name: "NIOCore", package: "swift-nio")],
            path: "Examples/Proxy"
        ),
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
        .testTarget(name: "RUDPWireTests", dependencies: ["RUDPWire", "RUDPCore", "RUDPFuzzSupport"]),
        .testTarget(
            name: "RUDPCoreTests",
            dependencies: [
                "RUDPCore", "RUDPWire", "RUDPImpairment", "RUDPSimulation", "RUDPExperiments", "RUDPSecurity", "RUDPTestSupport",
            ]),
        .testTarget(name: "RUDPImpairmentTests", dependencies: ["RUDPImpairment", "RUDPCore"]),
        .testTarget(name: "RUDPSimulationTests", dependencies: ["RUDPSimulation", "RUDPImpairment", "RUDPCore", "RUDPWire"]),
        .testTarget(
            name: "RUDPExperimentsTests", dependencies: ["RUDPExperiments", "RUDPSimulation", "RUDPImpairment", "RUDPCore", "RUDPWire"]),
        // Hang guards, polling and the child-process runner (on swift-subprocess) shared by the socket, process and dissector tests.
        .target(
            name: "RUDPTestSupport",
            dependencies: [
                "TimeLimit", .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ], path: "Tests/RUDPTestSupport"),
        .testTarget(
            name: "RUDPTests",
            dependencies: [
                "RUDP", "RUDPTestSupport", "RUDPProxy", "RUDPServiceLifecycle",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"), .product(name: "MetricsTestKit", package: "swift-metrics"),
            ]),
        .testTarget(
            name: "RUDPProxyTests",
            dependencies: [
                "RUDPProxy", "RUDPTestSupport", "RUDP", "RUDPImpairment", "RUDPCore", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"), .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(
            name: "rudpCLITests",
            dependencies: [
                "rudp", "RUDP", "RUDPTestSupport", .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"), "RUDPCore", "RUDPWire", "RUDPSecurity",
            ]),
        .testTarget(name: "RUDPFuzzSupportTests", dependencies: ["RUDPFuzzSupport", "RUDPCore", "RUDPWire", "RUDPSecurity"]),
        .testTarget(name: "RUDPSecurityTests", dependencies: ["RUDPSecurity", "RUDPWire", "RUDPCore"]),
    ],
    swiftLanguageModes: [.v6]
)
