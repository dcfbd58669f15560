import Foundation
import RUDP
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The parent of `rudp echo-server --workers N --processes`: owns the N sockets of the port
/// (``RUDPWorkerSockets``, with the steering program attached), runs one child `rudp` process
/// per worker on its socket, and starts a new child on the same socket when one exits, until
/// ``stop()``.
///
/// Each child gets its socket as descriptor 3 (`--worker-fd 3 --worker-index i`) and, as its
/// standard input, the read end of a pipe whose write end only the parent holds: when the
/// parent dies, however abruptly, the child reads end-of-file and shuts down, so no worker
/// outlives its parent. A child that exits within a second of its start is restarted after a
/// delay that doubles each time (0.1 s up to 5 s), so a child that cannot start does not spin.
///
/// ```swift
/// let supervisor = try WorkerProcessSupervisor(sockets: sockets) { index in ["echo-server", …] }
/// supervisor.start()
/// await supervisor.waitUntilStopped()   // after stop(), once every child exited
/// ```
final class WorkerProcessSupervisor: Sendable {
    /// The descriptor a child finds its socket on.
    static let childSocketDescriptor: CInt = 3

    private struct Child {
        var pid: pid_t = 0
        /// The write end of the child's standard-input pipe (close-on-exec).
        var lifeline: CInt = -1
    }

    private struct State {
        var children: [Child]
        var stopping = false
        var running = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    let sockets: RUDPWorkerSockets
    private let executable: String
    private let arguments: @Sendable (Int) -> [String]
    private let report: @Sendable (String) -> Void
    private let state: Mutex<State>

    /// `arguments(i)`: the command line of worker i's process (without the executable).
    /// `report` receives a line for each start and exit of a child.
    init(sockets: RUDPWorkerSockets, arguments: @escaping @Sendable (Int) -> [String], report: @escaping @Sendable (String) -> Void) throws
    {
        self.sockets = sockets
        self.arguments = arguments
        self.report = report
        self.state = Mutex(State(children: Array(repeating: Child(), count: sockets.count)))
        var path = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &path, path.count - 1)
        guard length > 0 else { throw CLIError("cannot find the rudp executable (/proc/self/exe): \(String(cString: strerror(errno)))") }
        self.executable = String(decoding: path[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Starts every worker's process and a thread that watches it.
    func start() {
        for index in 0..<sockets.count {
            state.withLock { $0.running += 1 }
            let thread = Thread { [self] in supervise(index) }
            thread.name = "rudp worker \(index) supervisor"
            thread.start()
        }
    }

    /// The process IDs of the workers' current processes (0 while one is being restarted).
    var processIdentifiers: [pid_t] { state.withLock { $0.children.map(\.pid) } }

    /// Asks every child to shut down (SIGTERM) and stops restarting them.
    func stop() {
        let pids = state.withLock { state -> [pid_t] in
            state.stopping = true
            return state.children.map(\.pid)
        }
        for pid in pids where pid > 0 { kill(pid, SIGTERM) }
    }

    /// Returns once ``stop()`` was called and every child exited.
    func waitUntilStopped() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                if state.running == 0 { return true }
                state.waiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Runs worker `index`'s process again and again until the supervisor stops (blocking: on
    /// a thread of its own).
    private func supervise(_ index: Int) {
        var quickExits = 0
        while !state.withLock({ $0.stopping }) {
            let started = ContinuousClock.now
            let pid: pid_t
            do {
                pid = try spawn(index)
            } catch {
                report("worker \(index): could not start a process: \(error)")
                quickExits += 1
                Thread.sleep(forTimeInterval: Self.restartDelay(afterQuickExits: quickExits))
                continue
            }
            let stopping = state.withLock { state -> Bool in
                state.children[index].pid = pid
                return state.stopping
            }
            if stopping { kill(pid, SIGTERM) }  // stop() ran while this one was starting
            report("worker \(index) started (pid \(pid))")
            var status: CInt = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            let lifeline = state.withLock { state -> CInt in
                defer { state.children[index] = Child() }
                return state.children[index].lifeline
            }
            if lifeline >= 0 { close(lifeline) }
            let stoppedNow = state.withLock { $0.stopping }
            let how = Self.describe(status)
            if stoppedNow {
                report("worker \(index) (pid \(pid)) stopped: \(how)")
                break
            }
            quickExits = ContinuousClock.now - started < .seconds(1) ? quickExits + 1 : 0
            let delay = quickExits == 0 ? 0 : Self.restartDelay(afterQuickExits: quickExits)
            report(
                "worker \(index) (pid \(pid)) \(how); starting a new one on the same socket"
                    + (delay > 0 ? String(format: " in %.1f s", delay) : ""))
            if delay > 0 { Thread.sleep(forTimeInterval: delay) }
        }
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.running -= 1
            guard state.running == 0 else { return [] }
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// 0.1 s after the first quick exit, doubling up to 5 s.
    static func restartDelay(afterQuickExits count: Int) -> Double {
        min(5, 0.1 * pow(2, Double(max(0, count - 1))))
    }

    /// "exited with status 1", "was killed by signal 9".
    static func describe(_ status: CInt) -> String {
        let signal = status & 0x7F
        if signal == 0 { return "exited with status \((status >> 8) & 0xFF)" }
        return "was killed by signal \(signal)"
    }

    /// Starts worker `index`'s process: its socket as descriptor 3, a lifeline pipe as its
    /// standard input, default handling of SIGINT and SIGTERM (the parent ignores them), its own
    /// process group, and no other descriptor this process opened (they are close-on-exec; the
    /// workers share its standard output and error).
    private func spawn(_ index: Int) throws -> pid_t {
        var socket = sockets.descriptor(ofWorker: index)
        guard socket >= 0 else { throw CLIError("the server's sockets are closed") }
        var temporary: CInt = -1
        if socket == Self.childSocketDescriptor {
            // dup2 onto itself would leave close-on-exec set: use a copy elsewhere.
            temporary = fcntl(socket, F_DUPFD_CLOEXEC, 10)
            guard temporary >= 0 else { throw CLIError("fcntl: \(String(cString: strerror(errno)))") }
            socket = temporary
        }
        defer { if temporary >= 0 { close(temporary) } }
        // One spawn at a time: between pipe() and the close-on-exec flags, another spawn would
        // let its child inherit this pipe.
        return try Self.spawnLock.withLock { _ in try spawn(index, socket: socket) }
    }

    private static let spawnLock = Mutex(())

    private func spawn(_ index: Int, socket: CInt) throws -> pid_t {
        var lifeline: [CInt] = [-1, -1]
        guard pipe(&lifeline) == 0 else { throw CLIError("pipe: \(String(cString: strerror(errno)))") }
        _ = fcntl(lifeline[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(lifeline[1], F_SETFD, FD_CLOEXEC)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, lifeline[0], 0)
        posix_spawn_file_actions_adddup2(&actions, socket, Self.childSocketDescriptor)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &mask)
        // A process group of its own: Ctrl-C in a terminal reaches only the parent, which stops
        // the workers itself (otherwise a worker could exit before the parent knows it is
        // stopping, and be restarted).
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))

        let argv = ([executable] + arguments(index)).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        close(lifeline[0])
        guard result == 0 else {
            close(lifeline[1])
            throw CLIError("posix_spawn \(executable): \(String(cString: strerror(result)))")
        }
        state.withLock { $0.children[index].lifeline = lifeline[1] }
        return pid
    }
}
