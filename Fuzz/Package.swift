// swift-tools-version:6.1
import PackageDescription

/// Fuzz targets for RUDP, one executable per attack surface, built with libFuzzer:
///
///     swift build --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address --product FuzzWire
///
/// Each target's `LLVMFuzzerTestOneInput` only calls a check in the main package's
/// `RUDPFuzzSupport` library, so that `swift test` replays crash inputs without libFuzzer.
/// To add a surface (e.g. the security layer): add `FuzzSecurity` here and in `Sources/`,
/// its check to `RUDPFuzzSupport`, and its name to the `targets` lists of `run` and `ci`.
let package = Package(
    name: "RUDPFuzz",
    products: [
        .executable(name: "FuzzWire", targets: ["FuzzWire"]),
        .executable(name: "FuzzEngine", targets: ["FuzzEngine"]),
    ],
    dependencies: [
        .package(name: "rudp", path: ".."),
    ],
    targets: [
        .executableTarget(name: "FuzzWire", dependencies: [.product(name: "RUDPFuzzSupport", package: "rudp")]),
        .executableTarget(name: "FuzzEngine", dependencies: [.product(name: "RUDPFuzzSupport", package: "rudp")]),
    ],
    swiftLanguageModes: [.v6]
)
