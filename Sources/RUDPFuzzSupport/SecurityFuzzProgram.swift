import RUDPSecurity

/// Builds and describes the inputs of the security fuzz target: a header of ``headerSize`` bytes
/// followed by ``SecurityFuzzOperation``s with their argument bytes.
///
/// Header byte 0 chooses the ``SecurityMode`` (value modulo 3: none, authenticated, encrypted)
/// and the receiver: a ``PacketProtector`` if the value divided by 3 is even, the engine's
/// ``SessionProtection`` if it is odd (mode none always uses a protector).
/// Header byte 1 holds options: bit 0 makes the receiver the server (packets travel client to
/// server; otherwise server to client), bits 1-3 choose the cookie lifetime
/// (``cookieLifetimes``), bits 4-5 the cookie rotation interval (``cookieRotationInterval(choice:lifetime:)``)
/// and bits 6-7 the clock's start (``startTimes``), so that the edges of the 64-bit clock are reachable.
///
/// ```swift
/// var program = SecurityFuzzProgram(mode: .authenticated, options: 0x01)
/// program.append(.seal, PacketNumberKind.next.rawValue, 3, 0x01, 0x02, 0x03)
/// program.append(.deliver, 0)
/// SecurityFuzzer.check(program.bytes)
/// ```
public struct SecurityFuzzProgram: Sendable {
    /// Bytes before the first operation.
    public static let headerSize = 2

    /// How a packet number choice picks a number from a base (the sender's last sealed number,
    /// the receiver's highest accepted one, or the separate window's highest; 0 when there is none).
    /// The kind byte is taken modulo the number of cases; arithmetic wraps around 2^64.
    public enum PacketNumberKind: UInt8, CaseIterable, Sendable {
        /// base + 1 (0 when there is no base).
        case next = 0
        /// base + 1 + the next byte.
        case step
        /// base + 1024: the first number whose arrival pushes the whole window out.
        case windowWidth
        /// base + 1023.
        case belowWindowWidth
        /// base + 1025.
        case aboveWindowWidth
        /// base - 1023: the oldest number inside the window.
        case oldestInWindow
        /// base - 1024: the first number too old for the window.
        case firstTooOld
        /// base - 1 - the next byte.
        case back
        /// The next 8 bytes, any 64-bit value.
        case absolute
        /// 2^62 - 1 - the next byte: the top of the packet number space.
        case belowLimit
        /// 2^62 + the next byte: not a packet number.
        case aboveLimit
        /// base + 1 + (the next 8 bytes modulo 2^48): a far jump.
        case farJump
        /// base itself.
        case base
        /// The next byte, a small absolute number.
        case small
    }

    /// How ``SecurityFuzzOperation/deliverMutated`` changes a datagram; the kind byte is taken
    /// modulo the number of cases. `position` is taken modulo the datagram's length where it names a byte.
    public enum MutationKind: UInt8, CaseIterable, Sendable {
        /// Flip bit `value % 8` of byte `position`.
        case flipBit = 0
        /// Set byte `position` to `value`.
        case setByte
        /// Keep only the first `position` bytes (modulo length + 1).
        case truncate
        /// Append `position % 64 + 1` bytes of `value`.
        case extend
        /// Flip bit `value % 64` of the packet number field.
        case flipPacketNumberBit
        /// Replace the last 16 bytes with those of sealed datagram number `position`.
        case swapTag
        /// Replace the 19-byte header with that of sealed datagram number `position`.
        case swapHeader
        /// Remove byte `position`.
        case removeByte
        /// Insert `value` before byte `position`.
        case insertByte
    }

    /// The cookie lifetimes selected by options bits 1-3, in nanoseconds.
    public static let cookieLifetimes: [UInt64] = [
        CookieIssuer.defaultLifetime, 1_000, 0, 1, .max, .max / 2 + 1, 1_000_000, 60_000_000_000,
    ]

    /// The clock's start selected by options bits 6-7, in nanoseconds.
    public static let startTimes: [UInt64] = [0, 1_000_000_000, .max - 20_000_000_000, 1 << 63]

    /// Payload sizes selected by a payload size byte of 0xF0 and above: around the limits of a
    /// datagram in every mode (65,507 - 19 - 16 = 65,472 with a tag, 65,484 with a CRC).
    public static let largePayloadSizes = [
        1200, 1500, 4096, 8192, 65_471, 65_472, 65_473, 65_483, 65_484, 65_485, 65_488, 65_489, 0, 1, 16, 255,
    ]

    /// Datagram sizes selected by an arbitrary-datagram length of 0xF000 and above: around the
    /// UDP limit and the minimum sizes (19 + 16 = 35 with a tag, 19 + 4 = 23 with a CRC).
    public static let specialDatagramSizes = [
        65_506, 65_507, 65_508, 70_000, 34, 35, 36, 22, 23, 24, 19, 18, 0, 1, 100_000, 65_535,
    ]

    /// The cookie rotation interval for options bits 4-5: the default (nil), 0 (raised to the
    /// lifetime by the issuer), half the lifetime (likewise), and the lifetime + 1.
    public static func cookieRotationInterval(choice: Int, lifetime: UInt64) -> UInt64? {
        switch choice & 3 {
        case 0: return nil
        case 1: return 0
        case 2: return lifetime / 2
        default: return lifetime == .max ? .max : lifetime + 1
        }
    }

    /// The encoded program.
    public private(set) var bytes: [UInt8]

    /// Starts a program with the given security mode and options byte; with `sessionProtection`
    /// the receiver is the engine's ``SessionProtection`` instead of a ``PacketProtector``.
    public init(mode: SecurityMode = .encrypted, options: UInt8 = 0, sessionProtection: Bool = false) {
        let modeByte: UInt8
        switch mode {
        case .none: modeByte = 0
        case .authenticated: modeByte = 1
        case .encrypted: modeByte = 2
        }
        bytes = [modeByte + (sessionProtection ? 3 : 0), options]
    }

    /// Appends an operation and its argument bytes.
    public mutating func append(_ operation: SecurityFuzzOperation, _ arguments: UInt8...) {
        append(operation, arguments: arguments)
    }

    /// Appends an operation and its argument bytes.
    public mutating func append(_ operation: SecurityFuzzOperation, arguments: [UInt8]) {
        bytes.append(operation.rawValue)
        bytes.append(contentsOf: arguments)
    }

    /// Appends raw bytes (for example the bytes of an arbitrary datagram after its length).
    public mutating func appendRaw(_ raw: [UInt8]) {
        bytes.append(contentsOf: raw)
    }

    /// The security mode of a header's first byte.
    public static func mode(_ byte: UInt8) -> SecurityMode {
        switch byte % 3 {
        case 0: return .none
        case 1: return .authenticated
        default: return .encrypted
        }
    }

    /// The bytes of a packet number choice: the kind and the argument bytes it reads (`value` is
    /// the byte of ``PacketNumberKind/step``, ``PacketNumberKind/back``, ``PacketNumberKind/belowLimit``,
    /// ``PacketNumberKind/aboveLimit`` and ``PacketNumberKind/small``, truncated to 8 bits, or the
    /// 8 bytes of ``PacketNumberKind/absolute`` and ``PacketNumberKind/farJump``).
    public static func packetNumberChoice(_ kind: PacketNumberKind, _ value: UInt64 = 0) -> [UInt8] {
        switch kind {
        case .step, .back, .belowLimit, .aboveLimit, .small:
            return [kind.rawValue, UInt8(truncatingIfNeeded: value)]
        case .absolute, .farJump:
            return [kind.rawValue] + (0..<8).map { UInt8(truncatingIfNeeded: value >> UInt64(56 - 8 * $0)) }
        default:
            return [kind.rawValue]
        }
    }

    /// Reads a packet number choice from `input` relative to `base`.
    static func packetNumber(_ input: inout FuzzInput, base: UInt64?) -> UInt64 {
        let kind = PacketNumberKind(rawValue: input.readByte() % UInt8(PacketNumberKind.allCases.count))!
        let b = base ?? 0
        switch kind {
        case .next: return base.map { $0 &+ 1 } ?? 0
        case .step: return b &+ 1 &+ UInt64(input.readByte())
        case .windowWidth: return b &+ UInt64(ReplayWindow.width)
        case .belowWindowWidth: return b &+ UInt64(ReplayWindow.width - 1)
        case .aboveWindowWidth: return b &+ UInt64(ReplayWindow.width + 1)
        case .oldestInWindow: return b &- UInt64(ReplayWindow.width - 1)
        case .firstTooOld: return b &- UInt64(ReplayWindow.width)
        case .back: return b &- 1 &- UInt64(input.readByte())
        case .absolute: return input.readUInt64()
        case .belowLimit: return (1 << 62) - 1 - UInt64(input.readByte())
        case .aboveLimit: return (1 << 62) + UInt64(input.readByte())
        case .farJump: return b &+ 1 &+ (input.readUInt64() & ((1 << 48) - 1))
        case .base: return b
        case .small: return UInt64(input.readByte())
        }
    }
}
