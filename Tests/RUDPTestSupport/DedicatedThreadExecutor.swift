import Foundation

/// A `TaskExecutor` that runs its jobs on threads of its own, outside the Swift concurrency
/// cooperative pool: tasks that prefer it (`withTaskExecutorPreference`, see
/// ``OffPool/runTasks(_:)``) make progress even while CPU-heavy suites running in
/// parallel hold every cooperative thread, which they can for tens of seconds.
///
/// ```swift
/// let executor = DedicatedThreadExecutor(name: "rudp children")
/// defer { executor.shutdown() }
/// let line = try await withTaskExecutorPreference(executor) { try await child.line(containing: "listening on") }
/// ```
public final class DedicatedThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var jobs: [UnownedJob] = []
    private var head = 0
    private var stopping = false
    private var running = 0
    private let name: String

    /// Starts `threads` threads named `name`.
    public init(name: String, threads: Int = 2) {
        self.name = name
        condition.lock()
        running = threads
        condition.unlock()
        for _ in 0..<threads { startThread() }
    }

    private func startThread() {
        let thread = Thread { [self] in serve() }
        thread.name = name
        thread.stackSize = 4 << 20
        thread.start()
    }

    /// Takes a job; runs on whichever of the threads is free first.
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        // A job after ``shutdown()`` (a task that still prefers this executor) gets a thread too.
        let needsThread = stopping && running == 0
        if needsThread { running += 1 }
        condition.signal()
        condition.unlock()
        if needsThread { startThread() }
    }

    /// Lets the threads end once no job is left (they finish the jobs already queued).
    public func shutdown() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    private func serve() {
        while true {
            condition.lock()
            while head == jobs.count && !stopping { condition.wait() }
            if head == jobs.count {
                running -= 1
                condition.unlock()
                return
            }
            let job = jobs[head]
            head += 1
            if head == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                head = 0
            }
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
