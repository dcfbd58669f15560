import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Waits for SIGINT or SIGTERM, so `rudp proxy` can print its final counters and exit cleanly.
///
/// ```swift
/// let signals = ProxySignalWaiter()
/// let number = await signals.next()   // nil once cancelled
/// ```
final class ProxySignalWaiter: Sendable {
    private let stream: AsyncStream<Int32>
    private let continuation: AsyncStream<Int32>.Continuation
    private let sources: Mutex<[any DispatchSourceSignal]>

    /// Starts listening for SIGINT and SIGTERM (their default action is turned off).
    init() {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        self.stream = stream
        self.continuation = continuation
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            sources.append(source)
        }
        self.sources = Mutex(sources)
    }

    /// The next signal received, or nil once ``cancel()`` was called.
    func next() async -> Int32? {
        var iterator = stream.makeAsyncIterator()
        return await iterator.next()
    }

    /// Stops waiting: ``next()`` returns nil.
    func cancel() {
        continuation.finish()
        sources.withLock { sources in
            for source in sources { source.cancel() }
            sources.removeAll()
        }
    }
}
