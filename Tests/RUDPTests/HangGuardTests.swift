import Dispatch
import Foundation
import Testing

/// The hang guard itself: it must turn a hang into a failure even when the guarded body ignores
/// cancellation (a loaded run once stalled for 25 minutes past its guard because the guard, a
/// task group, waited for such a body).
@Suite struct HangGuardTests {
    @Test func aBodyThatIgnoresCancellationStillFailsAtTheLimit() async throws {
        let bodyEnded = FlagBox()
        let release = ContinuationBox()
        var caught: (any Error)?
        do {
            _ = try await withHangGuard("a body that ignores cancellation", limit: 0.2) {
                // Resumed by the test once the guard has returned, or after 10 minutes at most.
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    release.set(continuation)
                    DispatchQueue.global().asyncAfter(deadline: .now() + 600) { release.resume() }
                }
                bodyEnded.set()
                return 1
            }
        } catch {
            caught = error
        }
        #expect(caught is TimeLimitExceeded, "\(String(describing: caught))")
        #expect(!bodyEnded.value, "the guard returned before the body ended")
        release.resume()
    }

    @Test func aQuickBodyReturnsItsValueAndErrors() async throws {
        #expect(try await withHangGuard("quick", limit: 600) { 42 } == 42)
        struct Expected: Error {}
        await #expect(throws: Expected.self) {
            try await withHangGuard("throws", limit: 600) { () async throws -> Int in throw Expected() }
        }
    }
}

/// A flag set from another task.
final class FlagBox: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    func set() { lock.lock(); flag = true; lock.unlock() }
    var value: Bool { lock.lock(); defer { lock.unlock() }; return flag }
}

/// A continuation resumed at most once, by whoever comes first.
final class ContinuationBox: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Void, Never>?
    private var resumed = false
    func set(_ continuation: CheckedContinuation<Void, Never>) {
        lock.lock()
        if resumed { lock.unlock(); continuation.resume(); return }
        self.continuation = continuation
        lock.unlock()
    }
    func resume() {
        lock.lock()
        resumed = true
        let continuation = self.continuation
        self.continuation = nil
        lock.unlock()
        continuation?.resume()
    }
}
