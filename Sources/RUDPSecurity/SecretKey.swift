import CSodium

/// 32 bytes of key material in memory of its own, overwritten with zeros (`sodium_memzero`) when
/// the last reference goes away. Its description never shows the bytes.
///
/// Keys are made by ``PreSharedKey`` and `SessionKeys.derive(psk:clientRandom:serverRandom:clientConnectionID:serverConnectionID:)`;
/// callers pass them around but never see their bytes.
///
/// ```swift
/// let keys = try SessionKeys.derive(psk: psk, clientRandom: c, serverRandom: s,
///                                   clientConnectionID: cc, serverConnectionID: sc)
/// print(keys.clientToServer)   // SecretKey(<redacted>)
/// ```
public final class SecretKey: @unchecked Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    // @unchecked Sendable: the bytes are written once, in `init`, and only read afterwards.

    /// Size of every key in bytes.
    public static let byteCount = 32

    private let storage: UnsafeMutableRawPointer

    /// A key whose bytes are written by `fill` (exactly ``byteCount`` bytes).
    init(filling fill: (UnsafeMutableRawBufferPointer) -> Void) {
        storage = UnsafeMutableRawPointer.allocate(byteCount: Self.byteCount, alignment: 16)
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: Self.byteCount)
        fill(UnsafeMutableRawBufferPointer(start: storage, count: Self.byteCount))
    }

    /// A key holding a copy of `bytes` (exactly ``byteCount`` of them).
    convenience init(copying bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count == Self.byteCount, "a SecretKey is \(Self.byteCount) bytes")
        self.init { $0.copyMemory(from: bytes) }
    }

    /// A new key from the operating system's secure random source.
    static func random() -> SecretKey {
        _ = Sodium.initialized  // randombytes_buf works without it, but use the chosen implementation
        return SecretKey { Sodium.randomBytes($0.baseAddress!, count: $0.count) }
    }

    deinit {
        Sodium.wipe(storage, count: Self.byteCount)
        storage.deallocate()
    }

    /// Calls `body` with the key's bytes; `body` must not keep the pointer.
    func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        body(UnsafeRawBufferPointer(start: storage, count: Self.byteCount))
    }

    /// The raw key pointer for libsodium calls; valid while `self` is alive.
    var unsafePointer: UnsafePointer<UInt8> {
        UnsafePointer(storage.assumingMemoryBound(to: UInt8.self))
    }

    /// Constant-time comparison of the key bytes.
    public static func == (lhs: SecretKey, rhs: SecretKey) -> Bool {
        lhs === rhs || sodium_memcmp(lhs.storage, rhs.storage, byteCount) == 0
    }

    /// Always `SecretKey(<redacted>)`: key bytes never appear in a description or log line.
    public var description: String { "SecretKey(<redacted>)" }
    /// The same as ``description``: redacted in debugger output too.
    public var debugDescription: String { description }
}
