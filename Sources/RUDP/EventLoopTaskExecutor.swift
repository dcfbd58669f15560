import NIOCore

/// Runs Swift tasks on an event loop's thread: a task that prefers this executor
/// (`Task(executorPreference:)`, `addTask(executorPreference:)`) runs its nonisolated code on the
/// loop, where the connection's engine runs, so a message reaches it and its replies reach the
/// engine without crossing threads.
///
/// Each job is one `execute` on the loop; a job enqueued from the loop itself (a continuation
/// the loop resumes after a read) runs after the loop's current work without waking another
/// thread. Code on the loop must not block: while it runs, no connection of that loop moves.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
