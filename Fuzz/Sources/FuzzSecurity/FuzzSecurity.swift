import RUDPFuzzSupport

/// libFuzzer entry point of the security-layer target: see `SecurityFuzzer` for what is checked.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSecurity(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    SecurityFuzzer.check(data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

/// Before fuzzing: with `RUDP_FUZZ_WRITE_SEEDS=DIR` (and `RUDP_FUZZ_VECTORS=Specs/vectors`)
/// writes the seed corpus into DIR and exits.
@_cdecl("LLVMFuzzerInitialize")
public func initializeSecurity(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    FuzzSeeds.writeIfRequested(target: "security")
    return 0
}
