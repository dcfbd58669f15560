import RUDPWire

/// The layout of the connection IDs an ``Endpoint`` chooses (`Specs/PROTOCOL.md` section 7.1):
/// the top 4 bits carry the endpoint's worker index in clear
/// (``EndpointConfiguration/workerIndex``), the low 60 bits are random and never all zero.
///
/// ```swift
/// let id = ConnectionID(0x3000_0000_0000_002A)
/// id.workerIndex   // 3
/// id.randomBits    // 42
/// ```
extension ConnectionID {
    /// Number of random bits at the bottom of an ID.
    public static let randomBitCount = 60
    /// The mask of the random bits.
    public static let randomBitMask: UInt64 = (1 << 60) - 1

    /// The worker index in the top 4 bits (0...15).
    public var workerIndex: UInt8 { UInt8(truncatingIfNeeded: rawValue >> 60) }

    /// The low 60 bits, random in every ID an ``Endpoint`` chooses.
    public var randomBits: UInt64 { rawValue & Self.randomBitMask }

    /// The ID with `workerIndex` (0...15) in the top 4 bits and `randomBits` (the low 60 bits
    /// of it are kept) below.
    public init(workerIndex: UInt8, randomBits: UInt64) {
        precondition(workerIndex < 16, "a worker index has 4 bits")
        self.init(UInt64(workerIndex) << 60 | randomBits & Self.randomBitMask)
    }
}
