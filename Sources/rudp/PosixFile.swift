#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A file opened with POSIX calls, with failures turned into ``CLIError`` messages that name
/// the path and the system's reason (`strerror`).
///
/// ```swift
/// let file = try PosixFile(reading: "photo.jpg")
/// defer { file.close() }
/// var buffer = [UInt8](repeating: 0, count: 65_536)
/// let count = try file.read(into: &buffer)
/// ```
final class PosixFile {
    /// The path the file was opened with.
    let path: String
    private var descriptor: Int32

    /// Opens an existing regular file for reading.
    init(reading path: String) throws {
        self.path = path
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Self.failure("cannot open", path) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let error = Self.failure("cannot inspect", path)
            _ = Glibc.close(descriptor)
            throw error
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            _ = Glibc.close(descriptor)
            throw CLIError("'\(path)' is not a regular file")
        }
    }

    /// Creates (or truncates) a file for writing, readable and writable by the user only (a
    /// partial download; ``setMode(_:)`` gives it its final permissions).
    init(creatingForWriting path: String) throws {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Self.failure("cannot create", path) }
    }

    deinit {
        if descriptor >= 0 { _ = Glibc.close(descriptor) }
    }

    /// The file's size in bytes.
    func size() throws -> UInt64 {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw Self.failure("cannot inspect", path) }
        return UInt64(max(0, status.st_size))
    }

    /// Reads up to `buffer.count` bytes into `buffer`; returns how many (0 at the end of the file).
    func read(into buffer: inout [UInt8]) throws -> Int {
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw Self.failure("cannot read", path)
        }
    }

    /// Reads until `buffer` is full or the file ends; returns how many bytes (0 at the end).
    func readFully(into buffer: inout [UInt8]) throws -> Int {
        var total = 0
        while total < buffer.count {
            let count = try buffer.withUnsafeMutableBytes { raw -> Int in
                while true {
                    let count = Glibc.read(descriptor, raw.baseAddress! + total, raw.count - total)
                    if count >= 0 { return count }
                    if errno == EINTR { continue }
                    throw Self.failure("cannot read", path)
                }
            }
            if count == 0 { break }
            total += count
        }
        return total
    }

    /// Moves back to the start of the file.
    func rewind() throws {
        guard lseek(descriptor, 0, SEEK_SET) == 0 else { throw Self.failure("cannot rewind", path) }
    }

    /// Writes all of `bytes`.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let count = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if count < 0 {
                if errno == EINTR { continue }
                throw Self.failure("cannot write", path)
            }
            offset += count
        }
    }

    /// The permissions a new file gets from tools such as `cp` or `curl -o`: 0666 less the
    /// process's umask (read once, at first use).
    static let defaultFileMode: mode_t = {
        let mask = umask(0o022)
        umask(mask)
        return 0o666 & ~mask
    }()

    /// Changes the file's permission bits.
    func setMode(_ mode: mode_t) throws {
        guard fchmod(descriptor, mode) == 0 else { throw Self.failure("cannot set the permissions of", path) }
    }

    /// Flushes the file's data to the storage device.
    func synchronize() throws {
        guard fsync(descriptor) == 0 else { throw Self.failure("cannot flush", path) }
    }

    /// Closes the file (idempotent).
    func close() {
        if descriptor >= 0 { _ = Glibc.close(descriptor) }
        descriptor = -1
    }

    /// Renames `source` to `destination`, replacing it atomically.
    static func rename(_ source: String, to destination: String) throws {
        guard Glibc.rename(source, destination) == 0 else {
            throw CLIError("cannot rename '\(source)' to '\(destination)': \(String(cString: strerror(errno)))")
        }
    }

    /// Deletes `path`, ignoring a file that is already gone.
    static func remove(_ path: String) {
        _ = unlink(path)
    }

    /// Whether something exists at `path`.
    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// Whether `path` is a directory.
    static func isDirectory(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
    }

    private static func failure(_ action: String, _ path: String) -> CLIError {
        CLIError("\(action) '\(path)': \(String(cString: strerror(errno)))")
    }
}
