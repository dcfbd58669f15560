import RUDPFuzzSupport

/// libFuzzer entry point of the secure connection-engine target: the engine programs of
/// `FuzzEngine` with packet security on both endpoints; see `EngineFuzzer.run(_:secure:)`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSecureEngine(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    EngineFuzzer.check(data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size)), secure: true)
    return 0
}

/// Before fuzzing: with `RUDP_FUZZ_WRITE_SEEDS=DIR` (and `RUDP_FUZZ_VECTORS=Specs/vectors`)
/// writes the seed corpus into DIR and exits.
@_cdecl("LLVMFuzzerInitialize")
public func initializeSecureEngine(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    FuzzSeeds.writeIfRequested(target: "secureEngine")
    return 0
}
