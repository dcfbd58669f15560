import Logging
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The workers of an ``RUDPServer`` and the queue of the connections they accept.
///
/// A server with one worker (the default) is one endpoint on one socket, as it always was: its
/// accept queue is the endpoint's own. A server with N workers runs N endpoints, each on its own
/// event loop and its own socket of a ``RUDPWorkerSockets`` group, with worker index i in the
/// connection IDs it issues; one task per worker moves the connections it accepts into the
/// server's queue. A worker whose socket closes while the server is not shutting down is
/// replaced by a new one on the same socket and event loop (its connections are lost; those of
/// the other workers are not disturbed).
final class ServerWorkerPool: Sendable {
    private struct State {
        var workers: [ServerWorker]
        var isShuttingDown = false
        /// Tasks moving accepted connections into the server's queue (multi-worker only).
        var pumps = 0
        /// Workers replaced after their socket closed.
        var restarts = 0
    }

    /// The event loops of multi-worker servers: one thread per possible worker, created on first
    /// use and shared by every multi-worker server of the process (never shut down, like NIO's
    /// singleton; an idle loop costs no CPU). Worker i runs on loop i.
    static let workerLoops: [any EventLoop] = Array(
        MultiThreadedEventLoopGroup(numberOfThreads: RUDPWorkerSockets.maximumCount).makeIterator())

    /// Accepted connections of every worker.
    let acceptQueue: AcceptQueue
    /// The sockets of a multi-worker server (nil for a single socket bound or adopted directly).
    let sockets: RUDPWorkerSockets?
    private let configuration: RUDPConfiguration
    private let state: Mutex<State>
    private let logger: Logger

    private init(workers: [ServerWorker], acceptQueue: AcceptQueue, sockets: RUDPWorkerSockets?, configuration: RUDPConfiguration) {
        self.state = Mutex(State(workers: workers))
        self.acceptQueue = acceptQueue
        self.sockets = sockets
        self.configuration = configuration
        self.logger = configuration.logger
    }

    /// One worker on a socket bound at `address` (today's server).
    static func single(at address: SocketAddress, configuration: RUDPConfiguration) async throws(RUDPError) -> ServerWorkerPool {
        let driver = try makeDriver(index: 0, loop: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration)
        let channel = try await SocketBinding.bind(address, driver: driver, vectorReadCount: SocketBinding.serverVectorReadCount)
        let worker = ServerWorker(index: 0, generation: 0, driver: driver, channel: channel)
        return ServerWorkerPool(workers: [worker], acceptQueue: driver.acceptQueue, sockets: nil, configuration: configuration)
    }

    /// One worker with index `index` on an already bound socket (a duplicate of `descriptor` is
    /// used; the caller keeps `descriptor`). No restart: when its socket closes, the server's
    /// connections end, and the process that owns the group starts another.
    static func adopted(_ descriptor: CInt, index: Int, configuration: RUDPConfiguration) async throws(RUDPError) -> ServerWorkerPool {
        let duplicate = fcntl(descriptor, F_DUPFD_CLOEXEC, 0)
        guard duplicate >= 0 else {
            throw RUDPError(.invalidArgument, "descriptor \(descriptor) is not an open socket: \(String(cString: strerror(errno)))")
        }
        var type: CInt = 0
        var length = socklen_t(MemoryLayout<CInt>.size)
        guard getsockopt(duplicate, SOL_SOCKET, SO_TYPE, &type, &length) == 0, type == CInt(SOCK_DGRAM.rawValue) else {
            close(duplicate)
            throw RUDPError(.invalidArgument, "descriptor \(descriptor) is not a UDP socket")
        }
        _ = fcntl(duplicate, F_SETFL, fcntl(duplicate, F_GETFL) | O_NONBLOCK)
        let driver = try makeDriver(index: index, loop: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration)
        let channel = try await SocketBinding.adopt(duplicate, driver: driver, vectorReadCount: SocketBinding.serverVectorReadCount)
        let worker = ServerWorker(index: index, generation: 0, driver: driver, channel: channel)
        return ServerWorkerPool(workers: [worker], acceptQueue: driver.acceptQueue, sockets: nil, configuration: configuration)
    }

    /// `sockets.count` workers, worker i on socket i and loop i of ``workerLoops``.
    static func multiple(on sockets: RUDPWorkerSockets, configuration: RUDPConfiguration) async throws(RUDPError) -> ServerWorkerPool {
        let pool = ServerWorkerPool(workers: [], acceptQueue: AcceptQueue(), sockets: sockets, configuration: configuration)
        do {
            for index in 0..<sockets.count {
                let worker = try await pool.startWorker(index: index, generation: 0)
                pool.state.withLock { $0.workers.append(worker) }
                pool.watch(worker)
            }
        } catch {
            await pool.shutdown()
            throw error
        }
        return pool
    }

    /// The current workers, by index.
    var workers: [ServerWorker] { state.withLock { $0.workers } }

    /// Workers replaced so far because their socket closed.
    var restarts: Int { state.withLock { $0.restarts } }

    private static func makeDriver(index: Int, loop: any EventLoop, configuration: RUDPConfiguration) throws(RUDPError) -> EndpointDriver {
        var configuration = configuration
        configuration.workerIndex = UInt8(index)
        return EndpointDriver(
            eventLoop: loop, configuration: configuration, role: .server, security: try TransportSecurity.make(configuration))
    }

    /// Starts worker `index` on its socket (a fresh endpoint: new secrets, no connections) and
    /// the task that moves the connections it accepts into the server's queue.
    private func startWorker(index: Int, generation: Int) async throws(RUDPError) -> ServerWorker {
        guard let sockets, let descriptor = sockets.duplicateDescriptor(ofWorker: index) else {
            throw RUDPError(.invalidArgument, "the server's sockets are closed")
        }
        let loop = Self.workerLoops[index]
        let driver = try Self.makeDriver(index: index, loop: loop, configuration: configuration)
        let channel = try await SocketBinding.adopt(descriptor, driver: driver, vectorReadCount: SocketBinding.serverVectorReadCount)
        state.withLock { $0.pumps += 1 }
        let queue = acceptQueue
        Task { [self] in
            for await connection in RUDPConnectionStream(queue: driver.acceptQueue) { queue.append(connection) }
            pumpEnded()
        }
        return ServerWorker(index: index, generation: generation, driver: driver, channel: channel)
    }

    private func pumpEnded() {
        let finished = state.withLock { state in
            state.pumps -= 1
            return state.isShuttingDown && state.pumps == 0
        }
        if finished { acceptQueue.finish() }
    }

    /// Restarts `worker` if its socket closes while the server runs.
    private func watch(_ worker: ServerWorker) {
        worker.channel.closeFuture.whenComplete { [self] _ in
            Task { await self.replace(worker) }
        }
    }

    private func replace(_ failed: ServerWorker) async {
        let current = state.withLock { state -> Bool in
            !state.isShuttingDown && state.workers.indices.contains(failed.index)
                && state.workers[failed.index].generation == failed.generation
        }
        guard current else { return }
        logger.warning("server worker \(failed.index) stopped (its socket closed); starting a new one on the same socket")
        var delay: Duration = .milliseconds(10)
        while true {
            do {
                let worker = try await startWorker(index: failed.index, generation: failed.generation + 1)
                let installed = state.withLock { state -> Bool in
                    guard !state.isShuttingDown else { return false }
                    state.workers[failed.index] = worker
                    state.restarts += 1
                    return true
                }
                if installed {
                    watch(worker)
                } else {
                    worker.channel.close(promise: nil)
                }
                return
            } catch {
                logger.error("could not restart server worker \(failed.index): \(error); retrying in \(delay)")
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
                if state.withLock({ $0.isShuttingDown }) { return }
            }
        }
    }

    /// Every worker closes its connections with CLOSE(serverShutdown) and its socket; returns
    /// once they are closed (then the group's sockets are closed too).
    func shutdown() async {
        let (workers, finishNow) = state.withLock { state in
            state.isShuttingDown = true
            return (state.workers, sockets != nil && state.pumps == 0)
        }
        for worker in workers {
            let driver = worker.driver
            driver.eventLoop.execute { driver.shutdown() }
        }
        for worker in workers { try? await worker.channel.closeFuture.get() }
        sockets?.close()
        if finishNow { acceptQueue.finish() }
    }
}
