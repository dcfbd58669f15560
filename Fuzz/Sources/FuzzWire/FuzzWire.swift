import RUDPFuzzSupport

/// libFuzzer entry point of the wire-codec target: see `WireFuzzer` for what is checked.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWire(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    // The fuzzer's buffer is exactly `size` bytes, so AddressSanitizer sees any over-read.
    WireFuzzer.check(UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size))
    return 0
}

/// Before fuzzing: with `RUDP_FUZZ_WRITE_SEEDS=DIR` (and `RUDP_FUZZ_VECTORS=Specs/vectors`)
/// writes the seed corpus into DIR and exits.
@_cdecl("LLVMFuzzerInitialize")
public func initializeWire(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    FuzzSeeds.writeIfRequested(target: "wire")
    return 0
}
