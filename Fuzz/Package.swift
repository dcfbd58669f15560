// swift-tools-version:6.1
import PackageDescription

/// Fuzz targets for RUDP, one executable per attack surface, built with libFuzzer:
///
///     swift build --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address --product FuzzWire
///
/// Each target's `LLVMFuzzerTestOneInput` only calls a check in the main package's
/// `RUDPFuzzSupport` module (its product is `_RUDPFuzzSupport`: not API), so that `swift test`
/// replays crash inputs without libFuzzer.
/// To add a surface: add `FuzzXxx` here and in `Sources/`, and its check and seeds to
/// `RUDPFuzzSupport` (`FuzzSeeds`); `run` and `ci` find every `Sources/Fuzz*` directory.
let package = Package(
    name: "RUDPFuzz",
    products: [
        .executable(name: "FuzzWire", targets: ["FuzzWire"]),
        .executable(name: "FuzzEngine", targets: ["FuzzEngine"]),
        .executable(name: "FuzzSecurity", targets: ["FuzzSecurity"]),
        .executable(name: "FuzzSecureEngine", targets: ["FuzzSecureEngine"]),
    ],
    dependencies: [
        .package(name: "rudp", path: "..")
    ],
    targets: [
        .executableTarget(name: "FuzzWire", dependencies: [.product(name: "_RUDPFuzzSupport", package: "rudp")]),
        .executableTarget(name: "FuzzEngine", dependencies: [.product(name: "_RUDPFuzzSupport", package: "rudp")]),
        .executableTarget(name: "FuzzSecurity", dependencies: [.product(name: "_RUDPFuzzSupport", package: "rudp")]),
        .executableTarget(name: "FuzzSecureEngine", dependencies: [.product(name: "_RUDPFuzzSupport", package: "rudp")]),
    ],
    swiftLanguageModes: [.v6]
)
