import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// What `rudp send` and `rudp recv` need from swift-system's `FileDescriptor` beyond its
/// open/read/write/seek/close: a regular-file check, reading until a buffer is full, the
/// permissions and the flush of a finished download, and failures as ``CLIError`` messages that
/// name the path and the system's reason (`cannot open 'x': No such file or directory`).
///
/// ```swift
/// let file = try FileDescriptor.openRegularFile(atPath: "photo.jpg")
/// defer { try? file.close() }
/// var buffer = [UInt8](repeating: 0, count: 65_536)
/// let count = try file.readFully(into: &buffer, path: "photo.jpg")
/// ```
extension FileDescriptor {
    /// Opens an existing regular file for reading.
    static func openRegularFile(atPath path: String) throws -> FileDescriptor {
        let file = try CLIError.file("cannot open", path) { try FileDescriptor.open(FilePath(path), .readOnly, options: .closeOnExec) }
        do {
            let status = try CLIError.file("cannot inspect", path) { try file.stat() }
            guard status.type == .regular else { throw CLIError("'\(path)' is not a regular file") }
            return file
        } catch {
            try? file.close()
            throw error
        }
    }

    /// Creates (or truncates) a file for writing, readable and writable by the user only (a
    /// partial download; ``setPermissions(_:path:)`` gives it its final ones).
    static func createForWriting(atPath path: String) throws -> FileDescriptor {
        try CLIError.file("cannot create", path) {
            try FileDescriptor.open(
                FilePath(path), .writeOnly, options: [.create, .truncate, .closeOnExec],
                permissions: .ownerReadWrite)
        }
    }

    /// The file's size in bytes.
    func size(path: String) throws -> UInt64 {
        UInt64(max(0, try CLIError.file("cannot inspect", path) { try stat() }.size))
    }

    /// Reads until `buffer` is full or the file ends; returns how many bytes (0 at the end).
    func readFully(into buffer: inout [UInt8], path: String) throws -> Int {
        try buffer.withUnsafeMutableBytes { raw in
            var total = 0
            while total < raw.count {
                let count = try CLIError.file("cannot read", path) {
                    try read(into: UnsafeMutableRawBufferPointer(rebasing: raw[total...]))
                }
                if count == 0 { break }
                total += count
            }
            return total
        }
    }

    /// The permissions a new file gets from tools such as `cp` or `curl -o`: 0666 less the
    /// process's umask (read once, at first use).
    static let defaultPermissions: FilePermissions = {
        let mask = umask(0o022)
        umask(mask)
        return FilePermissions(rawValue: 0o666 & ~mask)
    }()

    /// Changes the file's permission bits (swift-system has no `fchmod`).
    func setPermissions(_ permissions: FilePermissions, path: String) throws {
        guard fchmod(rawValue, permissions.rawValue) == 0 else {
            throw CLIError.file("cannot set the permissions of", path, Errno(rawValue: errno))
        }
    }

    /// Flushes the file's data to the storage device (swift-system has no `fsync`).
    func synchronize(path: String) throws {
        guard fsync(rawValue) == 0 else { throw CLIError.file("cannot flush", path, Errno(rawValue: errno)) }
    }

    /// Renames `source` to `destination`, replacing it atomically.
    static func rename(_ source: String, to destination: String) throws {
        guard Glibc.rename(source, destination) == 0 else {
            throw CLIError("cannot rename '\(source)' to '\(destination)': \(Errno(rawValue: errno))")
        }
    }

    /// Deletes `path`, ignoring a file that is already gone.
    static func remove(_ path: String) {
        _ = unlink(path)
    }

    /// What is at `path`: nil if nothing (or it cannot be inspected).
    static func fileType(atPath path: String) -> FileType? {
        (try? FilePath(path).stat())?.type
    }
}

extension CLIError {
    /// `body`'s result; a failure of it (swift-system's `Errno`) becomes a message that names
    /// `action` and `path`.
    static func file<Value>(_ action: String, _ path: String, _ body: () throws -> Value) throws -> Value {
        do {
            return try body()
        } catch let error as Errno {
            throw file(action, path, error)
        }
    }

    /// `cannot open 'x': No such file or directory`.
    static func file(_ action: String, _ path: String, _ error: Errno) -> CLIError {
        CLIError("\(action) '\(path)': \(error)")
    }
}
