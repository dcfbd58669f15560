@_spi(Testing) import RUDP

#if canImport(Glibc)
import Glibc
#endif

/// The CLI's reading of the environment switches that turn the kernel's UDP offloads off, to
/// compare: `RUDP_DISABLE_GSO` (segmentation offload on sends) and `RUDP_DISABLE_GRO` (generic
/// receive offload), set to anything. The library reads no environment variable: these map onto
/// ``RUDPConfiguration``'s test-only (`@_spi(Testing)`) switches.
enum OffloadEnvironment {
    /// Whether `RUDP_DISABLE_GSO` is set.
    static var disablesSegmentation: Bool { getenv("RUDP_DISABLE_GSO") != nil }
    /// Whether `RUDP_DISABLE_GRO` is set.
    static var disablesReceiveOffload: Bool { getenv("RUDP_DISABLE_GRO") != nil }
}

extension RUDPConfiguration {
    /// The default configuration with the offload switches of the environment applied
    /// (``OffloadEnvironment``): what every `rudp` command starts from.
    static func fromEnvironment() -> RUDPConfiguration {
        var configuration = RUDPConfiguration()
        configuration.usesSegmentationOffload = !OffloadEnvironment.disablesSegmentation
        configuration.usesReceiveOffload = !OffloadEnvironment.disablesReceiveOffload
        return configuration
    }
}
