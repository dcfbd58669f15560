import RUDPFuzzSupport

/// libFuzzer entry point of the connection-engine target: see `EngineFuzzer` for what is checked.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEngine(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    EngineFuzzer.check(data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

/// Before fuzzing: with `RUDP_FUZZ_WRITE_SEEDS=DIR` (and `RUDP_FUZZ_VECTORS=Specs/vectors`)
/// writes the seed corpus into DIR and exits.
@_cdecl("LLVMFuzzerInitialize")
public func initializeEngine(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    FuzzSeeds.writeIfRequested(target: "engine")
    return 0
}
