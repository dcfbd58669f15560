import NIOCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The sockets of a multi-worker server: `count` UDP sockets bound to one address with
/// `SO_REUSEPORT`, in a fixed order, with the steering program attached to their group, so that
/// the kernel hands each datagram to the socket of the worker whose index its destination
/// connection ID carries (handshakes are spread by the kernel's hash of the client's address).
///
/// The kernel numbers the sockets of a reuse-port group in bind order and, when one closes,
/// moves the last one into its place, which would send datagrams to the wrong workers. So this
/// object binds them all, keeps them open until ``close()``, and the workers only ever use
/// duplicates of its descriptors: a worker that fails, or a worker process that dies, leaves
/// the group as it was, and its replacement is started on the same socket (datagrams meanwhile
/// wait in the socket's receive buffer).
///
/// ``RUDPServer/bind(host:port:configuration:workers:)`` makes one for its workers (threads).
/// For worker processes, the owner (a parent process) makes one and hands descriptor `i` to the
/// process of worker `i` (inherited), which serves it with
/// ``RUDPServer/bind(workerSocket:workerIndex:configuration:)``:
///
/// ```swift
/// let sockets = try await RUDPWorkerSockets.bind(host: "0.0.0.0", port: 9000, count: 4)
/// // spawn a process per worker with sockets.descriptor(ofWorker: i) inherited …
/// // … and in that process:
/// let server = try await RUDPServer.bind(workerSocket: 3, workerIndex: i)
/// ```
///
/// Linux only (`SO_ATTACH_REUSEPORT_CBPF`). Binding fails with `addressInUse` if anything holds
/// the address already (checked with a socket bound without `SO_REUSEPORT` just before, since a
/// socket with it would silently join another server's group of the same user). A socket of the
/// same user that binds the address with `SO_REUSEPORT` later joins the group, and the kernel
/// cannot tell it apart: run one server per address.
public final class RUDPWorkerSockets: Sendable {
    /// Most workers: the connection ID has 4 bits for the worker index (`Specs/PROTOCOL.md` 7.1).
    public static let maximumCount = 16

    /// The address the sockets are bound to (with the port chosen when 0 was asked for).
    public let localAddress: SocketAddress
    private let descriptors: Mutex<[CInt]>
    /// How many sockets (workers) the group has.
    public let count: Int

    private init(localAddress: SocketAddress, descriptors: [CInt]) {
        self.localAddress = localAddress
        self.descriptors = Mutex(descriptors)
        self.count = descriptors.count
    }

    deinit { close() }

    /// The UDP port of the sockets.
    public var port: Int { localAddress.port ?? 0 }

    /// Binds `count` sockets (2...16, or 1) to `host`:`port` and attaches the steering program.
    /// Port 0 picks a free port for all of them. The descriptors are nonblocking and close-on-exec: a process
    /// that passes one to a child makes it inheritable there (for example with
    /// `posix_spawn_file_actions_adddup2`).
    ///
    /// Throws ``RUDPError`` with code `addressInUse`, `hostNotResolved`, or `invalidArgument`
    /// (a bad count, or a kernel without reuse-port steering).
    public static func bind(host: String = "127.0.0.1", port: Int, count: Int) async throws(RUDPError) -> RUDPWorkerSockets {
        guard (1...maximumCount).contains(count) else {
            throw RUDPError(.invalidArgument, "a server has 1 to \(maximumCount) workers, got \(count)")
        }
        let address = try await SocketBinding.resolve(host: host, port: port)
        return try bind(address, count: count)
    }

    /// Binds the group at a resolved address.
    static func bind(_ requested: SocketAddress, count: Int) throws(RUDPError) -> RUDPWorkerSockets {
        var descriptors: [CInt] = []
        var address = requested
        do throws(RUDPError) {
            // A socket with SO_REUSEPORT joins any group of the same user on its address, another
            // server's included. So first bind one without it, which fails if anything holds the
            // address and, for port 0, picks a port nobody uses; then bind the group there.
            let probe = try openSocket(bindingTo: requested, reusePort: false)
            do throws(RUDPError) {
                address = try boundAddress(of: probe)
            } catch {
                Glibc.close(probe)
                throw error
            }
            Glibc.close(probe)
            for _ in 0..<count {
                let descriptor = try openSocket(bindingTo: address)
                descriptors.append(descriptor)
            }
            let failure = WorkerSteeringProgram.attach(to: descriptors[0])
            if failure != 0 {
                throw RUDPError(
                    .invalidArgument,
                    "could not attach the worker-steering program (SO_ATTACH_REUSEPORT_CBPF): \(String(cString: strerror(failure)))")
            }
        } catch {
            for descriptor in descriptors { Glibc.close(descriptor) }
            throw error
        }
        return RUDPWorkerSockets(localAddress: address, descriptors: descriptors)
    }

    /// The descriptor of worker `index`'s socket, owned by this object (do not close it): a
    /// server adopting it works on a duplicate. -1 after ``close()``.
    public func descriptor(ofWorker index: Int) -> CInt {
        descriptors.withLock { $0.indices.contains(index) ? $0[index] : -1 }
    }

    /// A new descriptor for worker `index`'s socket (close-on-exec), for a worker that takes
    /// ownership of it; nil after ``close()``.
    func duplicateDescriptor(ofWorker index: Int) -> CInt? {
        let descriptor = self.descriptor(ofWorker: index)
        guard descriptor >= 0 else { return nil }
        let duplicate = fcntl(descriptor, F_DUPFD_CLOEXEC, 0)
        return duplicate >= 0 ? duplicate : nil
    }

    /// Closes the sockets (once every worker stopped using them). Idempotent.
    public func close() {
        let open = descriptors.withLock { descriptors in
            defer { descriptors = [] }
            return descriptors
        }
        for descriptor in open { Glibc.close(descriptor) }
    }

    private static func openSocket(bindingTo address: SocketAddress, reusePort: Bool = true) throws(RUDPError) -> CInt {
        let family: CInt
        switch address {
        case .v4: family = AF_INET
        case .v6: family = AF_INET6
        default: throw RUDPError(.invalidArgument, "a server binds an IP address, not \(address)")
        }
        let descriptor = socket(family, CInt(SOCK_DGRAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue) | CInt(SOCK_NONBLOCK.rawValue), 0)
        guard descriptor >= 0 else {
            throw RUDPError(.invalidArgument, "could not open a UDP socket: \(String(cString: strerror(errno)))")
        }
        var on: CInt = 1
        var size = CInt(SocketBinding.socketBufferBytes)
        let configured = !reusePort || setsockopt(descriptor, SOL_SOCKET, SO_REUSEPORT, &on, socklen_t(MemoryLayout<CInt>.size)) == 0
        _ = setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<CInt>.size))
        _ = setsockopt(descriptor, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<CInt>.size))
        guard configured else {
            let failure = errno
            Glibc.close(descriptor)
            throw RUDPError(.invalidArgument, "could not set SO_REUSEPORT: \(String(cString: strerror(failure)))")
        }
        let bound = address.withSockAddr { pointer, length in Glibc.bind(descriptor, pointer, socklen_t(length)) }
        if bound != 0 {
            let failure = errno
            Glibc.close(descriptor)
            switch failure {
            case EADDRINUSE: throw RUDPError(.addressInUse, "address \(SocketBinding.describe(address)) is already in use")
            case EADDRNOTAVAIL:
                throw RUDPError(.invalidArgument, "address \(SocketBinding.describe(address)) is not available on this machine")
            default:
                throw RUDPError(
                    .invalidArgument,
                    "could not bind a UDP socket to \(SocketBinding.describe(address)): \(String(cString: strerror(failure)))")
            }
        }
        return descriptor
    }

    private static func boundAddress(of descriptor: CInt) throws(RUDPError) -> SocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard result == 0 else {
            throw RUDPError(.invalidArgument, "getsockname failed: \(String(cString: strerror(errno)))")
        }
        do {
            let family = CInt(storage.ss_family)
            return try withUnsafeBytes(of: &storage) { bytes in
                switch family {
                case AF_INET: return SocketAddress(bytes.load(as: sockaddr_in.self), host: "")
                case AF_INET6: return SocketAddress(bytes.load(as: sockaddr_in6.self), host: "")
                default: throw RUDPError(.invalidArgument, "unexpected address family \(family)")
                }
            }
        } catch let error as RUDPError {
            throw error
        } catch {
            throw RUDPError(.invalidArgument, "\(error)")
        }
    }
}
