import Synchronization

/// Replies counted by `rudp echo-client --connections/--repeat`, from all its connections.
final class LoadProgress: Sendable {
    private let counts = Mutex((replies: 0, bytes: 0))

    /// One more reply of `bytes` bytes.
    func add(_ bytes: Int) {
        counts.withLock {
            $0.replies += 1
            $0.bytes += bytes
        }
    }

    /// Replies so far.
    var replies: Int { counts.withLock { $0.replies } }
    /// Their bytes.
    var bytes: Int { counts.withLock { $0.bytes } }
}
