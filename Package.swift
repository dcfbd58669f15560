// swift-tools-version:6.1
import PackageDescription

/// RUDP: reliable messaging over UDP.
///
/// The arrows only point down: `RUDPWire` (the codec) knows nothing of the engine,
/// `RUDPCore` (the sans-IO connection engine) knows nothing of sockets or clocks, and
/// `RUDPSimulation` drives engines over a deterministic virtual network.
let package = Package(
    name: "rudp",
    products: [
        .library(name: "RUDPWire", targets: ["RUDPWire"]),
        .library(name: "RUDPCore", targets: ["RUDPCore"]),
        .library(name: "RUDPSimulation", targets: ["RUDPSimulation"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
    ],
    targets: [
        .target(name: "RUDPWire"),
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
                .product(name: "HeapModule", package: "swift-collections"),
            ]
        ),
        .testTarget(name: "RUDPWireTests", dependencies: ["RUDPWire"], resources: []),
        .testTarget(name: "RUDPCoreTests", dependencies: ["RUDPCore", "RUDPWire", "RUDPSimulation"]),
        .testTarget(name: "RUDPSimulationTests", dependencies: ["RUDPSimulation", "RUDPCore", "RUDPWire"]),
    ],
    swiftLanguageModes: [.v6]
)
